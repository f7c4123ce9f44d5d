"""What a failed write says about the database, and logging each fault once per episode.

    state = classify(error)           # "busy", "full", "malformed", "read-only", "io-error", or None
    episodes = FaultEpisodes()
    episodes.failed(store_busy, 3)    # the first failure of an episode is logged with its cause
    episodes.succeeded()              # one line when writes work again, with how many failed meanwhile

A full disk makes every write fail; logging each failure would fill what little space is left.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

from ..errors import StoreBusy

log = logging.getLogger("cardbot.store")

OK = "ok"
BUSY = "busy"
FULL = "full"
MALFORMED = "malformed"
MISSING = "missing"
READ_ONLY = "read-only"
IO_ERROR = "io-error"
UNREACHABLE = "unreachable"
"""PostgreSQL: the server does not answer (down, network cut, connections killed)."""
UNUSABLE = frozenset({FULL, MALFORMED, MISSING, READ_ONLY, IO_ERROR, UNREACHABLE})
"""States in which this worker cannot work at all: `/healthz` answers 503."""

_STATES = {
    5: BUSY, 6: BUSY,  # SQLITE_BUSY, SQLITE_LOCKED
    13: FULL,  # SQLITE_FULL
    11: MALFORMED, 26: MALFORMED,  # SQLITE_CORRUPT, SQLITE_NOTADB
    8: READ_ONLY,  # SQLITE_READONLY
    10: IO_ERROR, 14: IO_ERROR,  # SQLITE_IOERR, SQLITE_CANTOPEN
}


def classify(error: BaseException) -> str | None:
    """The database's state an SQLite error reveals; None for an error of the statement itself
    (a constraint, bad SQL) or anything that is not an SQLite error."""
    code = getattr(error, "sqlite_errorcode", None) if isinstance(error, sqlite3.Error) else None
    return None if code is None else _STATES.get(code & 0xFF)


_MEANINGS = {
    BUSY: "the database stayed locked by another connection",
    FULL: "the disk holding the database is full",
    MALFORMED: "the database file is damaged",
    READ_ONLY: "the database cannot be written",
    IO_ERROR: "the database file cannot be read or written",
}


def fault(error: BaseException) -> StoreBusy:
    """The StoreBusy a caller gets for `error` (an SQLite error, as a rule), saying what it means."""
    state = classify(error) or IO_ERROR
    return StoreBusy(f"{_MEANINGS[state]}: {error}", state)


class FaultEpisodes:
    """Logs database faults once per episode: an episode starts with the first failed write (logged
    with its cause; "busy" as a warning, the rest as errors), counts the failures that follow without
    logging them, and ends with one line when a write works again. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state = OK
        self._cause = ""
        self._failed = 0
        self._since = 0.0

    def failed(self, busy: StoreBusy, writes: int = 1) -> None:
        """Writes failed with `busy`; logged only when it starts an episode (or changes its kind)."""
        with self._lock:
            if busy.state == self.state:
                self._failed += writes
                return
            if self.state != OK:
                self._log_end(f"fail differently now ({busy.state})")
            self.state, self._cause, self._failed, self._since = busy.state, str(busy), writes, time.monotonic()
        log.log(logging.WARNING if busy.state == BUSY else logging.ERROR,
                "database writes failing: %s; further failures are counted, not logged, until a write works",
                busy)

    def succeeded(self) -> None:
        """A write committed: ends the episode, if there is one. Cheap when there is none."""
        if self.state == OK:
            return
        with self._lock:
            if self.state != OK:
                self._log_end("now working again")
                self.state = OK

    def _log_end(self, how: str) -> None:
        log.warning("database writes %s: %d write(s) failed in %.1f s (%s: %s)", how, self._failed,
                    time.monotonic() - self._since, self.state, self._cause)
