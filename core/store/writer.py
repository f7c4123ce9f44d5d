"""How writes reach SQLite: batched, committed before anyone hears the result, never stalling the loop.

    writer = Writer(loop_conn, thread_conn)
    version = await writer.write(commit_click, change, now)     # committed when this returns

Writes issued in one turn of the event loop are run together in one transaction, right on the loop
(no thread hand-off, no GIL ping-pong); a function that raises has its own writes undone. The loop's
connection never blocks on a lock: when another process holds the database, the batch (joined by the
writes that arrive meanwhile) is tried again a millisecond or two later, without blocking the loop,
until busy_timeout runs out. A helper thread (`DatabaseThread`) runs WAL checkpoints, so their fsync
never lands on the loop either, and serves writes from plain threads (sync plugins, the CLI).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from typing import Any, Callable, TypeVar

from ..errors import StoreBusy

log = logging.getLogger("cardbot.store")
T = TypeVar("T")
Outcome = tuple[Any, "BaseException | None"]
_STOP = object()
BUSY_RETRY_SECONDS = 0.001
"""How soon the loop tries again when another process holds the database's write lock."""
CHECKPOINT_IDLE_SECONDS = 1.0
"""The helper thread checkpoints the WAL after this long without work."""


def run_batch(conn: sqlite3.Connection, calls: list[tuple[Callable[..., Any], tuple]]) -> list[Outcome]:
    """Run `function(conn, *args)` for each call in one write transaction; (result, error) per call.

    A call that raises has its own writes undone and the others still commit. Raises StoreBusy, with
    nothing written, when the database is locked past the connection's busy timeout or the commit fails.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise StoreBusy(f"the database stayed locked: {error}") from None
    try:
        outcomes = []
        for index, (function, args) in enumerate(calls):
            changes = conn.total_changes
            try:
                outcomes.append((function(conn, *args), None))
            except Exception as error:  # noqa: BLE001 - handed to the caller, never lost
                if conn.total_changes != changes:  # it wrote, then failed: undo it alone, keep the others
                    conn.execute("ROLLBACK")
                    return [*_one_by_one(conn, calls[:index]), (None, error),
                            *_one_by_one(conn, calls[index + 1:])]
                outcomes.append((None, error))  # it failed before writing: nothing to undo
        conn.execute("COMMIT")
    except sqlite3.Error as error:
        log.error("commit failed, %d writes rolled back: %s", len(calls), error)
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StoreBusy(f"the database refused the commit: {error}") from None
    return outcomes


def _one_by_one(conn: sqlite3.Connection, calls: list[tuple[Callable[..., Any], tuple]]) -> list[Outcome]:
    """The slow path of run_batch: each call in its own transaction."""
    return [outcome for call in calls for outcome in run_batch(conn, [call])]


class Writer:
    """Batches the writes of each event-loop turn into one transaction on the loop's own connection."""

    def __init__(self, loop_conn: sqlite3.Connection, thread_conn: sqlite3.Connection, *,
                 busy_timeout: float) -> None:
        loop_conn.execute("PRAGMA busy_timeout = 0")  # never block the loop: retry from the loop instead
        loop_conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints (and their fsync) run on the thread
        self._conn = loop_conn
        self._busy_timeout = busy_timeout
        self._busy_since: float | None = None
        self.thread = DatabaseThread(thread_conn)
        self._pending: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []

    async def write(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(conn, *args)` in a write transaction; return its result once committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((function, args, future))
        return await future

    def close(self) -> None:
        """Stop the helper thread (after its queued work)."""
        self.thread.close()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            outcomes = run_batch(self._conn, [(function, args) for function, args, _ in batch])
        except StoreBusy as busy:
            self._retry_later(batch, busy)
            return
        self._busy_since = None
        for (_, _, future), (result, error) in zip(batch, outcomes):
            _settle(future, result, error)

    def _retry_later(self, batch: list, busy: StoreBusy) -> None:
        """Another process holds the write lock: try again shortly (with what arrives meanwhile), or give up."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._busy_since = self._busy_since or now
        if now - self._busy_since >= self._busy_timeout:
            self._busy_since = None
            for _, _, future in batch:
                _settle(future, None, busy)
            return
        self._pending = batch + self._pending
        loop.call_later(BUSY_RETRY_SECONDS, self._flush)


class DatabaseThread:
    """Runs blocking writes from plain threads, in batches, and WAL checkpoints, on its own thread and connection."""

    def __init__(self, conn: sqlite3.Connection, *, max_batch: int = 64) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="cardbot-db", daemon=True)
        self._thread.start()

    def write_blocking(self, function: Callable[..., T], *args: Any) -> T:
        """Run a write from a plain thread (a sync plugin, the CLI); blocks until committed. Not on the loop."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((function, args, future))
        return future.result()

    def close(self) -> None:
        """Finish the queued work, stop the thread, close its connection."""
        self._queue.put(_STOP)
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=CHECKPOINT_IDLE_SECONDS)
            except queue.Empty:
                self._checkpoint()
                continue
            if item is _STOP:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            try:
                outcomes = run_batch(self._conn, [(function, args) for function, args, _ in batch])
            except StoreBusy as busy:
                outcomes = [(None, busy)] * len(batch)
            for (_, _, future), (result, error) in zip(batch, outcomes):
                _settle(future, result, error)

    def _checkpoint(self) -> None:
        try:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as error:
            log.debug("checkpoint skipped: %s", error)


def _settle(future: asyncio.Future | concurrent.futures.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
