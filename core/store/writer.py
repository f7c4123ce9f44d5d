"""One thread per process that runs every write, batching concurrent clicks into one transaction.

    writer = DatabaseThread(connection)
    version = await writer.write(commit_click, change, now)     # committed when this returns

Each queued function runs inside its own SAVEPOINT, so one that raises rolls back alone; the batch
commits once, and no caller hears of its result before that commit. The event loop never blocks on
the database: a lock held by another process costs this thread the wait, bounded by busy_timeout.
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
_STOP = object()


class DatabaseThread:
    """Runs `function(conn, *args)` calls in write transactions on a dedicated thread, in batches."""

    def __init__(self, conn: sqlite3.Connection, *, max_batch: int = 64) -> None:
        self._conn = conn
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="cardbot-db", daemon=True)
        self._thread.start()

    async def write(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(conn, *args)` in a write transaction; return its result once committed."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((function, args, loop, future))
        return await future

    def write_blocking(self, function: Callable[..., T], *args: Any) -> T:
        """`write` for a plain thread (a sync plugin, say): blocks until committed. Never call it on the loop."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._queue.put((function, args, None, future))
        return future.result()

    def close(self) -> None:
        """Finish the queued work, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
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
            self._run_batch(batch)

    def _run_batch(self, batch: list[tuple]) -> None:
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            self._fail(batch, StoreBusy(f"the database stayed locked: {error}"))
            return
        try:
            results = [self._run_one(conn, *item) for item in batch]
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            log.error("commit failed, %d writes rolled back: %s", len(batch), error)
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._fail(batch, StoreBusy(f"the database refused the commit: {error}"))
            return
        self._resolve(results)

    @staticmethod
    def _run_one(conn: sqlite3.Connection, function: Callable[..., Any], args: tuple,
                 loop: asyncio.AbstractEventLoop, future: asyncio.Future) -> tuple:
        conn.execute("SAVEPOINT op")
        try:
            result = function(conn, *args)
        except Exception as error:  # noqa: BLE001 - handed to the caller, never lost
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return (loop, future, None, error)
        conn.execute("RELEASE op")
        return (loop, future, result, None)

    def _fail(self, batch: list[tuple], error: Exception) -> None:
        self._resolve([(loop, future, None, error) for _, _, loop, future in batch])

    @staticmethod
    def _resolve(results: list[tuple]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for loop, future, result, error in results:
            if loop is None:  # a write_blocking caller on a plain thread
                _settle([(future, result, error)])
                continue
            by_loop.setdefault(loop, []).append((future, result, error))
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, items)
            except RuntimeError:  # the loop has closed; nobody is waiting any more
                pass


def _settle(items: list[tuple[asyncio.Future | concurrent.futures.Future, Any, BaseException | None]]) -> None:
    for future, result, error in items:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)
