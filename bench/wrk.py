"""Run wrk with replay.lua against a server and read the BENCH line its done() prints."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPLAY_LUA = Path(__file__).with_name("replay.lua")
THREADS = 2
TIMEOUT = "3s"
"""Lark waits 3 s for an answer; a slower one is a failed click, so wrk counts it as a timeout."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured, and why it is invalid (None when valid)."""

    requests: int
    seconds: float
    wrapped: int
    p50_ms: float
    p99_ms: float
    invalid: str | None

    @classmethod
    def failed(cls, reason: str) -> WrkResult:
        return cls(0, 0.0, 0, 0.0, 0.0, reason)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    """The wrk executable, or SystemExit saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("error: wrk is not installed; install it with `sudo apt-get install wrk` (Debian/Ubuntu)")
    return path


def wrk_version() -> str:
    completed = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True)
    return (completed.stdout + completed.stderr).split("Copyright")[0].strip()


def run_wrk(url: str, request_dir: Path, *, expected: str, duration: float, connections: int) -> WrkResult:
    """Replay the request files in `request_dir` at `url` with fixed concurrency for `duration` seconds;
    every answer must be a 200 whose body contains `expected`."""
    args = [wrk_path(), "-t", str(THREADS), "-c", str(connections), "-d", f"{duration:g}s", "--latency",
            "--timeout", TIMEOUT, "-s", str(REPLAY_LUA), url, "--", str(request_dir), expected, str(THREADS)]
    completed = subprocess.run(args, capture_output=True, text=True, timeout=duration + 120)
    return parse_output(completed.stdout, completed.stderr, completed.returncode)


def parse_output(stdout: str, stderr: str, returncode: int) -> WrkResult:
    """Read the BENCH line; a run with any non-200 or unexpected answer, socket error, timeout or wrap is
    invalid."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH ")), None)
    if returncode != 0 or line is None:
        return WrkResult.failed(f"wrk failed (exit {returncode}): {(stderr or stdout).strip()[-300:]}")
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    number = {key: int(value) for key, value in fields.items() if key != "statuses"}
    problems = []
    bad = next((ln[len("BENCH_FIRST_BAD "):] for ln in stdout.splitlines() if ln.startswith("BENCH_FIRST_BAD")), "")
    if number["non200"]:
        problems.append(f"{number['non200']} non-200 answers ({fields['statuses']})")
    if number["unexpected"]:
        problems.append(f"{number['unexpected']} answers without the click's result (a processing or busy toast)")
    if bad:
        problems.append(f"first bad answer: {bad[:160]}")
    errors = {key: number[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts") if number[key]}
    if errors:
        problems.append("socket errors " + ", ".join(f"{key}={value}" for key, value in errors.items()))
    if number["wrapped"]:
        problems.append(f"ran out of requests: {number['wrapped']} replayed again (built {number['built']})")
    if not number["requests"]:
        problems.append("no request completed")
    return WrkResult(
        requests=number["requests"], seconds=number["duration_us"] / 1e6, wrapped=number["wrapped"],
        p50_ms=number["p50_us"] / 1000, p99_ms=number["p99_us"] / 1000,
        invalid="; ".join(problems) or None,
    )
