"""Run wrk with replay.lua against a server (or one wrk per host, side by side) and read the BENCH line its
done() prints."""

from __future__ import annotations

import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .servers import cpu_seconds

REPLAY_LUA = Path(__file__).with_name("replay.lua")
THREADS = 2
TIMEOUT = "3s"
"""Lark waits 3 s for an answer; a slower one is a failed click, so wrk counts it as a timeout."""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured, and why it is invalid (None when valid). `requests` counts every answer,
    `counted` only the 200s that hold the click's result (the expected toast): the work done."""

    requests: int
    counted: int
    seconds: float
    wrapped: int
    p50_ms: float
    p99_ms: float
    invalid: str | None

    @classmethod
    def failed(cls, reason: str) -> WrkResult:
        return cls(0, 0, 0.0, 0, 0.0, 0.0, reason)

    @property
    def rps(self) -> float:
        """Work done per second: the answers that hold the click's result."""
        return self.counted / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    """The wrk executable, or SystemExit saying how to install it."""
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("error: wrk is not installed; install it with `sudo apt-get install wrk` (Debian/Ubuntu)")
    return path


def wrk_version() -> str:
    completed = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True)
    return (completed.stdout + completed.stderr).split("Copyright")[0].strip()


class Load:
    """wrk replaying the request files of `request_dir` (one per thread, see replay.lua) at `urls`: one wrk
    per URL (hosts behind no balancer), started together and sharing THREADS threads and `connections`
    evenly; every answer must be a 200 whose body contains `expected`.

        load = Load(urls, request_dir, expected='"Vote counted"', duration=10, connections=64)
        load.wait_sending()          # every thread has formatted its requests; they all start now
        at_start = load.cpu_seconds()
        result, cpu = load.finish()  # combined figures; CPU seconds over the whole life of the wrk processes
    """

    def __init__(self, urls: Sequence[str], request_dir: Path, *, expected: str, duration: float,
                 connections: int) -> None:
        if THREADS % len(urls) or connections % len(urls):
            raise ValueError(f"{THREADS} threads and {connections} connections do not split over {len(urls)} URLs")
        threads = THREADS // len(urls)
        self.request_dir = request_dir
        self.duration = duration
        self._usage = _children_cpu()
        self._processes = [subprocess.Popen(
            [wrk_path(), "-t", str(threads), "-c", str(connections // len(urls)), "-d", f"{duration:g}s",
             "--latency", "--timeout", TIMEOUT, "-s", str(REPLAY_LUA), url, "--", str(request_dir), expected,
             str(THREADS), str(1 + n * threads)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n, url in enumerate(urls)]

    def wait_sending(self, timeout: float = 120.0) -> None:
        """Return once every wrk thread has formatted its requests (replay.lua's ready files), when sending
        starts, or once a wrk has exited or `timeout` s have passed (finish() then tells what happened)."""
        deadline = time.monotonic() + timeout
        markers = [self.request_dir / f"ready-{n}" for n in range(1, THREADS + 1)]
        while time.monotonic() < deadline and not all(marker.exists() for marker in markers):
            if any(process.poll() is not None for process in self._processes):
                return
            time.sleep(0.002)

    def cpu_seconds(self) -> float:
        """CPU seconds the running wrk processes have used so far."""
        return cpu_seconds(process.pid for process in self._processes)

    def finish(self) -> tuple[WrkResult, float]:
        """Wait for every wrk; their combined result and the CPU seconds they used from start to exit."""
        results = []
        for process in self._processes:
            try:
                stdout, stderr = process.communicate(timeout=self.duration + 120)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
            results.append(parse_output(stdout, stderr, process.returncode))
        return combined(results), _children_cpu() - self._usage


def run_wrk(url: str, request_dir: Path, *, expected: str, duration: float, connections: int) -> WrkResult:
    """Replay the request files in `request_dir` at `url` with one wrk (see Load)."""
    return Load([url], request_dir, expected=expected, duration=duration, connections=connections).finish()[0]


def combined(results: Sequence[WrkResult]) -> WrkResult:
    """One result for wrk instances that ran side by side: their requests over the longest duration, the
    higher of their p50 and of their p99 (percentiles do not add up; the higher one bounds them), and
    invalid when any was (each reason prefixed with its instance)."""
    if len(results) == 1:
        return results[0]
    problems = [f"wrk {n}: {result.invalid}" for n, result in enumerate(results, 1) if result.invalid]
    return WrkResult(
        requests=sum(result.requests for result in results), counted=sum(result.counted for result in results),
        seconds=max(result.seconds for result in results),
        wrapped=sum(result.wrapped for result in results), p50_ms=max(result.p50_ms for result in results),
        p99_ms=max(result.p99_ms for result in results), invalid="; ".join(problems) or None)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        requests=number["requests"], counted=number["counted"], seconds=number["duration_us"] / 1e6,
        wrapped=number["wrapped"],
        p50_ms=number["p50_us"] / 1000, p99_ms=number["p99_us"] / 1000,
        invalid="; ".join(problems) or None,
    )
