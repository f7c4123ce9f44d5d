"""Replace a worker process that dies while the server runs; stop the server when workers keep dying.

Sanic's multi-process manager only records a dead worker as FAILED and keeps the listening socket, so
a killed worker (a plugin's `os._exit`, the OOM killer, `kill -9`) would leave fewer workers, or none,
behind a port that accepts connections and answers nothing. The watchdog runs in the main process:

    watchdog = WorkerWatchdog()
    watchdog.attach(app)          # before Sanic.serve(...)
    ...                           # after it returns:
    exit_status = 2 if watchdog.startup_failed else 1 if watchdog.gave_up else 0

A death before every worker first came up is a start-up failure: the server stops at once and `serve`
exits 2, printing the worker's reason once (Sanic alone would wait 30 s, then kill its own process
group). A stop signal in that time stops the server at once.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from sanic import Sanic
from sanic.worker.constants import ProcessState
from sanic.worker.process import Worker, WorkerProcess

from .. import metrics

log = logging.getLogger("cardbot")
SERVER_PREFIX = f"{Worker.WORKER_PREFIX}-{WorkerProcess.SERVER_LABEL}-"
"""Sanic's name of every server worker process, e.g. `Sanic-Server-0-0`."""


class DeathBudget:
    """How many worker deaths are replaced: at most `limit` within any `window` seconds."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._deaths: collections.deque[float] = collections.deque()

    def spend(self, now: float) -> bool:
        """Record a death at `now`; True while it is still within the budget (replace the worker)."""
        self._deaths.append(now)
        while self._deaths and self._deaths[0] <= now - self.window:
            self._deaths.popleft()
        return len(self._deaths) <= self.limit


class WorkerWatchdog:
    """Watches Sanic's server workers from the main process and replaces each one that dies."""

    def __init__(self, budget: DeathBudget | None = None, poll: float = 0.5,
                 clock: Callable[[], float] = time.monotonic, startup_report: Path | None = None) -> None:
        self.budget = budget or DeathBudget()
        self.poll = poll
        self.clock = clock
        self.startup_report = startup_report
        self.gave_up = False
        """True once workers died too often and the watchdog stopped the server."""
        self.startup_failed = False
        """True once a worker died before every worker first came up: the server stopped (exit 2)."""

    def attach(self, app: Sanic) -> None:
        """Start watching when the main process is ready (multi-process `Sanic.serve` only)."""
        app.register_listener(self._start, "main_process_ready")

    def _start(self, app: Sanic) -> None:
        _stop_waiting_for_acks_on_shutdown(app.manager)
        threading.Thread(target=self._watch, args=(app.manager,), name="cardbot-watchdog", daemon=True).start()

    def _watch(self, manager: Any) -> None:
        serving = False
        handled: set[int] = set()
        while not self.gave_up:
            time.sleep(self.poll)
            if manager._shutting_down:
                return
            servers = [p for p in manager.transient_processes if p.name.startswith(SERVER_PREFIX)]
            if not serving:
                failed = next((p for p in servers if p.pid is not None and not p.is_alive()), None)
                if failed is not None:
                    self._could_not_start(manager, failed)
                    return
                serving = bool(servers) and all(_state(manager, p) == ProcessState.ACKED.name for p in servers)
                continue
            for process in servers:
                pid = process.pid
                if pid is None or pid in handled or process.state in (ProcessState.RESTARTING,
                                                                       ProcessState.TERMINATED):
                    continue
                if not process.is_alive():
                    handled.add(pid)
                    self._died(manager, process, pid)

    def _could_not_start(self, manager: Any, process: WorkerProcess) -> None:
        """A worker died while starting: the others would fail alike, so stop, saying why once."""
        self.startup_failed = True
        reason = _startup_reason(self.startup_report) or (
            f"worker {process.name} ended while starting ({_describe_exit(process.exitcode)})")
        print(f"error: {reason}", file=sys.stderr, flush=True)
        for other in manager.transient_processes:  # still starting, serving nothing: SIGINT would print a
            if other.pid is not None and other.is_alive():  # KeyboardInterrupt traceback from mid-start
                with contextlib.suppress(ProcessLookupError):
                    os.kill(other.pid, signal.SIGKILL)
        manager.monitor_publisher.send(None)  # ends Sanic's monitor loop, as its own stop signal does
        manager.shutdown()

    def _died(self, manager: Any, process: WorkerProcess, pid: int) -> None:
        how = _describe_exit(process.exitcode)
        metrics.worker_died(pid)
        if self.budget.spend(self.clock()):
            log.error("worker %s (pid %d) died (%s); starting a replacement", process.name, pid, how)
            manager.monitor_publisher.send(process.name)  # Sanic's monitor restarts it in the main thread
            return
        self.gave_up = True
        log.error("worker %s (pid %d) died (%s): %d worker deaths within %g s, so the server stops with exit "
                  "status 1 for its supervisor to restart it", process.name, pid, how, self.budget.limit + 1,
                  self.budget.window)
        manager.monitor_publisher.send("__TERMINATE__")


def _stop_waiting_for_acks_on_shutdown(manager: Any) -> None:
    """Sanic waits up to 30 s for every worker to report ready, and a stop signal in that time marks them
    terminated, so the wait never ends early: the server hung instead of stopping. End the wait on a stop."""
    all_acked = manager._all_workers_ack
    manager._all_workers_ack = lambda: manager._shutting_down or all_acked()


def _startup_reason(report: Path | None) -> str | None:
    try:
        return report.read_text(encoding="utf-8").strip() or None if report else None
    except OSError:
        return None


def _state(manager: Any, process: WorkerProcess) -> str | None:
    return manager.worker_state.get(process.name, {}).get("state")


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
