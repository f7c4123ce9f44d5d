"""Run the real cardbot server as a process, for tests that talk HTTP to it.

    with BotServer(tmp_path, plugins_toml=CONFIG, env={"LARK_VERIFICATION_TOKEN": "vt"}) as bot:
        response = bot.post("/lark/callback", body, headers)
        card = bot.cli("card", "show", "om_1").json()

The server gets its own process group, so `kill()` takes down every worker (as `kill -9` would).
`command_prefix` runs it under a wrapper, e.g. in its own PID and UTS namespaces as another host would be:

    BotServer(tmp_path, plugins_toml=CONFIG, command_prefix=["unshare", "--pid", "--uts", "--fork",
              "--mount-proc", "sh", "-c", 'hostname hostb && exec "$@"', "sh"])
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import requests

from .callbacks import LarkCallbacks
from .components import chosen_options, click_action, find_component

SECRET_VARIABLES = ("LARK_APP_ID", "LARK_APP_SECRET", "LARK_VERIFICATION_TOKEN", "LARK_ENCRYPT_KEY", "LARK_API_BASE",
                    "CARDBOT_API_TOKEN", "CARDBOT_DATABASE")
"""Variables a test server never inherits from the test run (only an explicit `env` sets them)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(env: dict[str, str], extra_pythonpath: Sequence[Path] = ()) -> dict[str, str]:
    """This process's environment without Lark secrets, plus `env`, with `extra_pythonpath` importable."""
    merged = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    merged.update(env)
    if extra_pythonpath:
        paths = [str(p) for p in extra_pythonpath] + [merged.get("PYTHONPATH", "")]
        merged["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return merged


def _group_processes(pgid: int) -> dict[int, tuple[int, list[str]]]:
    """The live processes of group `pgid`, from /proc: pid -> (parent pid, argv)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
                found[int(entry.name)] = (int(fields[1]), argv)
    return found


def _group_exists(pgid: int) -> bool:
    """Whether a live (not zombie) process is still in group `pgid` (a killed worker may stay a zombie a while
    until init reaps it)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    return bool(_group_processes(pgid))


class CliResult:
    """What a CLI run printed and returned."""

    def __init__(self, completed: subprocess.CompletedProcess) -> None:
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


class BotServer:
    """A cardbot server process with its own plugins.toml and database in `directory`."""

    def __init__(self, directory: Path, *, plugins_toml: str, env: dict[str, str] | None = None,
                 workers: int = 1, dev: bool = False, command: Sequence[str] | None = None,
                 extra_pythonpath: Sequence[Path] = (), command_prefix: Sequence[str] = ()) -> None:
        """`command_prefix` is put before the `serve` command (not before `cli()` runs): a wrapper that ends
        by exec'ing the command it is given (like `unshare --fork … sh -c '… exec "$@"' sh`), so `stop()`
        can find the server among the wrapper's processes and signal it; `kill()` still kills them all."""
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "plugins.toml"
        self.config_path.write_text(plugins_toml, encoding="utf-8")
        self.command = list(command or [sys.executable, "-m", "cardbot"])
        self.command_prefix = list(command_prefix)
        self._serve_args: list[str] = []
        self.workers = workers
        self.dev = dev
        self.port = free_port()
        self.env = server_environment(env or {}, extra_pythonpath)
        self.log_path = self.directory / "server.log"
        self.process: subprocess.Popen | None = None
        self._log_start = 0
        self.session = requests.Session()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> BotServer:
        """Start the server and wait until every worker is ready and `/healthz` answers 200; raise with the
        server's log otherwise.

        A start that fails for any reason (the server exited, never became healthy, an interrupt) kills every
        process it started before raising.
        """
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"this server is already running (pid {self.process.pid}); stop() it first")
        args = [*self.command, "serve", "--config", str(self.config_path), "--port", str(self.port),
                "--workers", str(self.workers)]
        if self.dev:
            args.append("--dev")
        self._serve_args = args
        with open(self.log_path, "ab") as log:
            self._log_start = log.tell()
            self.process = subprocess.Popen([*self.command_prefix, *args], env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, cwd=self.directory, start_new_session=True)
        try:
            self._wait_until_healthy(timeout)
        except BaseException:
            self.kill()
            raise
        return self

    def _wait_until_healthy(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cardbot exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self._all_workers_ready() and self.session.get(self.base_url + "/healthz",
                                                                  timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy starting to answer in time
                pass
            time.sleep(0.1)
        raise RuntimeError(f"cardbot did not become healthy within {timeout} s:\n{self.log()}")

    def _all_workers_ready(self) -> bool:
        """Every worker has logged Sanic's "Worker ready" since this start (one that is still starting when
        the server is stopped can miss the stop signal and hold the stop up)."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_start)
            return log.read().count(b"Worker ready [") >= self.workers

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None, timeout: float = 10.0
             ) -> requests.Response:
        """POST raw bytes to the server."""
        return self.session.post(self.base_url + path, data=body, headers=headers or {}, timeout=timeout)

    def cli(self, *args: str, stdin: str | None = None) -> CliResult:
        """Run a CLI subcommand against this server's config, e.g. `cli("card", "show", "om_1")`."""
        argv = [*self.command, *args, "--config", str(self.config_path)]
        return CliResult(subprocess.run(argv, env=self.env, input=stdin, capture_output=True, text=True,
                                        cwd=self.directory, timeout=60))

    def put_card(self, message_id: str, card: dict[str, Any]) -> int:
        """Store `card` with `card put` (checked as every send is); returns its version. RuntimeError with
        the CLI's message when it refuses."""
        return self._cli_json("card", "put", message_id, "-", stdin=json.dumps(card, ensure_ascii=False))["version"]

    def show(self, message_id: str, *, history: bool = False) -> dict[str, Any]:
        """The stored card as `card show` prints it (`card`, `version`, with `history` one entry per version)."""
        return self._cli_json("card", "show", message_id, *(["--history"] if history else []))

    def click(self, message_id: str, component: str, *, as_: str = "ou_tester", option: str | None = None,
              options: Sequence[str] | None = None, form: dict[str, Any] | None = None, input: str | None = None,
              checked: bool | None = None, value: Any = None, lark: LarkCallbacks | None = None) -> dict[str, Any]:
        """Click `component` (element_id, value `button_id` or name) of stored card `message_id` as person `as_`,
        as Lark would: a `card.action.trigger` encrypted and signed with this server's secrets (from `env`),
        or by `lark` when given. Returns the answer's JSON; RuntimeError when the server refuses it."""
        lark = lark or LarkCallbacks(self.env.get("LARK_VERIFICATION_TOKEN") or None,
                                     self.env.get("LARK_ENCRYPT_KEY") or None)
        fields = click_action(find_component(self.show(message_id)["card"], component),
                              options=chosen_options(option, options),
                              form=form or (), input=input, checked=checked)
        if value is not None:
            fields["value"] = value
        body, headers = lark.card_action_trigger(message_id=message_id, open_id=as_, **fields)
        response = self.post("/lark/callback", body, headers)
        if response.status_code != 200:
            raise RuntimeError(f"the server answered {response.status_code}: {response.text}")
        return response.json()

    def _cli_json(self, *args: str, stdin: str | None = None) -> Any:
        result = self.cli(*args, stdin=stdin)
        if result.returncode != 0:
            raise RuntimeError(f"`{' '.join(args)}` failed ({result.returncode}): {result.stderr.strip()}")
        return result.json()

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop gracefully (SIGTERM to the server, which stops its workers), then kill whatever of its process
        group is left; kill all at once if the server takes longer than `timeout`. Returns its exit status."""
        if self.process is None:
            return None
        server = self.server_pid()
        if self.process.poll() is None and server is not None:
            try:
                os.kill(server, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.process.returncode

    def server_pid(self) -> int | None:
        """The pid (as this process sees it) of the server's main process: the process started, or under a
        `command_prefix`, the first process of its group running the serve command; None when there is none."""
        if self.process is None or self.process.poll() is not None:
            return None
        if not self.command_prefix:
            return self.process.pid
        serving = {pid: parent for pid, (parent, argv) in _group_processes(self.process.pid).items()
                   if argv == self._serve_args}
        return next((pid for pid, parent in serving.items() if parent not in serving), None)

    def kill(self) -> None:
        """SIGKILL every process of the server's group at once, as a crash would, and wait until they are gone."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        deadline = time.monotonic() + 10
        while _group_exists(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)  # orphaned workers are reaped by init

    def __enter__(self) -> BotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.session.close()
