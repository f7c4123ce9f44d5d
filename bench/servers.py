"""Start and stop each configuration's server as its own process group, and read its peak memory.

    server = bare_server(workers=2, log_path=Path("bare.log")).start()
    peak_kb, processes = server.peak_memory()      # max VmHWM over the main process and its workers
    server.stop()
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterable, Sequence

from cardbot.testing import free_port
from cardbot.testing.server import server_environment

from .requests_file import SECRETS

ROOT = Path(__file__).resolve().parents[1]
PROBLEM_MARKERS = (" WARNING ", " ERROR ", "ERROR:", "Traceback", "[ERROR]", "[CRITICAL]", "Task was destroyed",
                   "was never awaited")
EXPECTED_WARNING = "LARK_APP_ID / LARK_APP_SECRET are not set"
PEER_THREADS = 2
"""gthread threads per gunicorn worker: the peer's fastest setting here (4 to 32 threads were slower and
their p99 grew with the thread count; sync workers, without keep-alive, lost at 2 workers)."""


class Server:
    """One server process (and its children) with a health URL, logging to `log_path`."""

    def __init__(self, args: Sequence[str], *, port: int, log_path: Path, env: dict[str, str] | None = None,
                 cwd: Path = ROOT, extra_pythonpath: Sequence[Path] = ()) -> None:
        self.args = list(args)
        self.port = port
        self.log_path = log_path
        self.env = server_environment(env or {}, [ROOT, *extra_pythonpath])
        self.cwd = cwd
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> Server:
        """`launch()`, then `wait_ready()`."""
        self.launch()
        return self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process (in its own process group) without waiting for it."""
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.args, env=self.env, cwd=self.cwd, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> Server:
        """Wait until `/healthz` answers 200; stop it and raise with the end of its log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = self.process.returncode if self.process else None
                raise RuntimeError(f"{self.args[:3]} exited with {code}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.args[:3]} did not become healthy within {timeout:g} s:\n{self.log_tail()}")

    def processes(self) -> list[int]:
        """The main process and all its descendants (workers, their helpers)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the server's live processes have used so far."""
        return cpu_seconds(self.processes())

    def peak_memory(self) -> tuple[int, int]:
        """(max VmHWM in KiB over the server's processes, number of processes)."""
        peaks = []
        for pid in self.processes():
            try:
                with open(f"/proc/{pid}/status") as status:
                    peaks += [int(line.split()[1]) for line in status if line.startswith("VmHWM:")]
            except OSError:
                continue
        return max(peaks, default=0), len(peaks)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the main process (it stops its workers, as in production); SIGKILL to the whole process
        group if it has not stopped within `timeout`, or when it leaves a process behind."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_problems(self, start: int = 0, end: int | None = None) -> list[str]:
        """Lines of the log between byte offsets `start` and `end` that say something went wrong (warnings,
        errors, tracebacks), except the expected start-up warning that no app credentials are set."""
        if not self.log_path.exists():
            return []
        with open(self.log_path, "rb") as log:
            log.seek(start)
            text = log.read(-1 if end is None else max(end - start, 0)).decode("utf-8", errors="replace")
        return [line.rstrip() for line in text.splitlines()
                if any(marker in line for marker in PROBLEM_MARKERS) and EXPECTED_WARNING not in line]


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU seconds (user + system, from /proc/<pid>/stat) the processes `pids` have used so far; a process
    gone already counts nothing."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat
    return ticks / os.sysconf("SC_CLK_TCK")


def bare_server(workers: int, log_path: Path) -> Server:
    """The bare Sanic ceiling."""
    port = free_port()
    return Server([sys.executable, "-m", "bench.bare_sanic", "--port", str(port), "--workers", str(workers)],
                  port=port, log_path=log_path)


def cardbot_server(config_path: Path, workers: int, log_path: Path, extra_pythonpath: Sequence[Path] = ()
                   ) -> Server:
    """The real cardbot server (`bot.py serve`) with the bench's secrets."""
    port = free_port()
    args = [sys.executable, str(ROOT / "bot.py"), "serve", "--config", str(config_path), "--port", str(port),
            "--workers", str(workers)]
    return Server(args, port=port, log_path=log_path, env=dict(SECRETS), cwd=config_path.parent,
                  extra_pythonpath=extra_pythonpath)


def peer_server(database: Path, workers: int, log_path: Path) -> Server:
    """The lark-oapi + Flask peer under gunicorn (gthread workers)."""
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
            "--threads", str(PEER_THREADS), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            "bench.peer_app:app"]
    return Server(args, port=port, log_path=log_path, env={**SECRETS, "PEER_DATABASE": str(database)})


def lean_server(database: Path, log_path: Path) -> Server:
    """The lean reference (`bench/lean/`, one worker) on a cardbot database, with the bench's secrets."""
    port = free_port()
    return Server([sys.executable, "-m", "bench.lean", "--db", str(database), "--port", str(port)],
                  port=port, log_path=log_path, env=dict(SECRETS))
