"""How writes reach SQLite: batched, committed before anyone hears the result, never stalling the loop.

    writer = Writer(loop_conn, thread_conn, busy_timeout=2.0, file=DatabaseFile(path))
    version = await writer.write(commit_click, change, now)     # committed when this returns (clicks.py)

Writes issued in one turn of the event loop are run together in one transaction, right on the loop
(no thread hand-off, no GIL ping-pong), each inside its own savepoint: a function that raises has its
own writes undone and the others still commit. A batch commits as a whole or not at all, so running
it again never applies a write twice. The loop's connection never blocks on a lock: when another
process holds the database, the batch (joined by the writes that arrive meanwhile) is tried again a
millisecond later, without blocking the loop, until busy_timeout runs out. A full, damaged or removed
database fails the batch at once (StoreBusy, its `state` says why), logged once per episode
(faults.py). A helper thread (`DatabaseThread`) runs WAL checkpoints, so their fsync never lands on
the loop either, and serves writes from plain threads (sync plugins, the CLI).
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
from .faults import BUSY, OK, FaultEpisodes, classify, fault
from .presence import NO_FILE_CHECK, DatabaseFile, NoFileCheck
from .tx import SqliteTx, StorageFunction, Tx, drive

log = logging.getLogger("cardbot.store")
T = TypeVar("T")
Outcome = tuple[Any, "BaseException | None"]
_STOP = object()
BUSY_RETRY_SECONDS = 0.001
"""How soon the loop tries again when another process holds the database's write lock."""
CHECKPOINT_IDLE_SECONDS = 1.0
"""The helper thread checkpoints the WAL after this long without work."""


def run_batch(conn: sqlite3.Connection, calls: list[tuple[Callable[..., Any], tuple]]) -> list[Outcome]:
    """Run `function(tx, *args)` (a storage coroutine, see tx.py) for each call in one write transaction;
    (result, error) per call.

    Each call runs in its own savepoint (a batch of one in the transaction alone): one that raises has
    its own writes undone and the others still commit. Raises StoreBusy, with nothing of the batch
    written, when the database is locked past the connection's busy timeout, a call meets a fault of the
    database itself (full, damaged, I/O), or the commit fails; its `state` says which.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as error:
        raise fault(error) from None
    savepoints = len(calls) > 1
    tx = SqliteTx(conn)
    try:
        outcomes: list[Outcome] = []
        for function, args in calls:
            if savepoints:
                conn.execute("SAVEPOINT call")
            try:
                outcomes.append((drive(function(tx, *args)), None))
            except Exception as error:  # noqa: BLE001 - handed to the caller, never lost
                if classify(error) is not None or not conn.in_transaction:  # the database failed, not the call
                    _roll_back(conn)
                    raise fault(error) from None
                conn.execute("ROLLBACK TO call" if savepoints else "ROLLBACK")
                outcomes.append((None, error))
            if savepoints:
                conn.execute("RELEASE call")
        if conn.in_transaction:  # not when a batch of one failed and was rolled back
            conn.execute("COMMIT")
    except sqlite3.Error as error:
        _roll_back(conn)
        raise fault(error) from None
    return outcomes


def _roll_back(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (a rollback that fails leaves nothing to do)."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


async def _touch(tx: Tx) -> None:
    """The smallest real write: rewrite the schema version as it is (a probe of whether writes work)."""
    row = await tx.one("PRAGMA user_version")
    await tx.run(f"PRAGMA user_version = {int(row[0]) if row else 0}")


class Writer:
    """Batches the writes of each event-loop turn into one transaction on the loop's own connection."""

    def __init__(self, loop_conn: sqlite3.Connection, thread_conn: sqlite3.Connection, *,
                 busy_timeout: float, file: DatabaseFile | NoFileCheck = NO_FILE_CHECK) -> None:
        loop_conn.execute("PRAGMA busy_timeout = 0")  # never block the loop: retry from the loop instead
        loop_conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints (and their fsync) run on the thread
        self._conn = loop_conn
        self._busy_timeout = busy_timeout
        self._busy_since: float | None = None
        self._file = file
        self.episodes = FaultEpisodes()
        self.thread = DatabaseThread(thread_conn, file=file, episodes=self.episodes)
        self._pending: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []

    async def write(self, function: StorageFunction[T], *args: Any) -> T:
        """Run `function(tx, *args)` in a write transaction; return its result once committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((function, args, future))
        return await future

    def health(self) -> str:
        """The database's state now: "ok", or what stops writes ("busy", "full", "missing", …; see faults.py).

        Cheap while writes work; after a failure it tries one tiny write (without waiting for a lock),
        so a fault that is over shows as "ok" even when no click has come since (a file that is gone or
        was found damaged stays so). Call on the loop.
        """
        try:
            self._file.check()
            if self.episodes.state == OK:
                return OK
            run_batch(self._conn, [(_touch, ())])
        except StoreBusy as busy:
            self.episodes.failed(busy, 0)
            self._file.found(busy)
            return busy.state
        self.episodes.succeeded()
        return OK

    def close(self) -> None:
        """Stop the helper thread (after its queued work)."""
        self.thread.close()

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        try:
            self._file.check()
            outcomes = run_batch(self._conn, [(function, args) for function, args, _ in batch])
        except StoreBusy as busy:
            self._failed(batch, busy)
            return
        self._busy_since = None
        self.episodes.succeeded()
        for (_, _, future), (result, error) in zip(batch, outcomes):
            _settle(future, result, error)

    def _failed(self, batch: list, busy: StoreBusy) -> None:
        """Nothing of the batch was written. Locked by another process: try again shortly (with what arrives
        meanwhile) until busy_timeout. Locked past it, or any other fault: every write fails with `busy`."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if busy.state == BUSY:
            self._busy_since = self._busy_since or now
            if now - self._busy_since < self._busy_timeout:
                self._pending = batch + self._pending
                loop.call_later(BUSY_RETRY_SECONDS, self._flush)
                return
        self._busy_since = None
        self.episodes.failed(busy, len(batch))
        self._file.found(busy)
        for _, _, future in batch:
            _settle(future, None, busy)


class DatabaseThread:
    """Runs blocking writes from plain threads, in batches, and WAL checkpoints, on its own thread and connection."""

    def __init__(self, conn: sqlite3.Connection, *, max_batch: int = 64, file: DatabaseFile | NoFileCheck = NO_FILE_CHECK,
                 episodes: FaultEpisodes | None = None) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._file = file
        self._episodes = episodes or FaultEpisodes()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="cardbot-db", daemon=True)
        self._thread.start()

    def write_blocking(self, function: StorageFunction[T], *args: Any) -> T:
        """Run a write from a plain thread (a sync plugin, the CLI); blocks until committed. Not on the loop.

        Raises what `function` raised (its writes undone), or StoreBusy when nothing could be written."""
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
            self._write(batch)

    def _write(self, batch: list) -> None:
        """One transaction for the batch; each caller hears its own call's outcome."""
        try:
            self._file.check()
            outcomes: list[Outcome] = run_batch(self._conn, [(function, args) for function, args, _ in batch])
        except StoreBusy as busy:  # nothing of the batch was written (its connection waited busy_timeout)
            self._episodes.failed(busy, len(batch))
            self._file.found(busy)
            outcomes = [(None, busy)] * len(batch)
        else:
            self._episodes.succeeded()
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
