"""`SqliteStore`: the embedded default, one SQLite file (WAL) shared by the worker processes of one host.

Writes are batched per event-loop turn and committed before anyone hears the result (see writer.py);
reads use per-thread connections and never wait for writers (WAL). A process waiting for a card another
process has tries again after a short sleep (SQLite has no way to wake it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from ..errors import StoreBusy
from ..state import StateReader
from . import clicks
from .base import Store, T
from .clicks import StateRows
from .faults import READ_ONLY, fault
from .presence import DatabaseFile
from .reads import ReadConnections
from .schema import connect, open_database, open_read_only, unreadable
from .tx import SqliteTx, StorageFunction, drive
from .writer import Writer


class SqliteStore(Store):
    """The database file at `path`; `read_only` opens it for reading only (creating and locking nothing)."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal",
                 read_only: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._writer: Writer | None = None
        if read_only:
            conn = open_read_only(self.path)
            self._reads: ReadConnections | None = None
            self._read_only = SqliteTx(conn)
            return
        self._db = open_database(self.path, busy_timeout=busy_timeout, synchronous=synchronous)
        self._writer = Writer(self._db.conn, connect(self.path, busy_timeout=busy_timeout, synchronous=synchronous),
                              busy_timeout=busy_timeout, file=DatabaseFile(self.path))
        self._reads = ReadConnections(self.path, busy_timeout=busy_timeout)

    async def write(self, function: StorageFunction[T], *args: Any) -> T:
        return await self._require_writer().write(function, *args)

    async def read(self, function: StorageFunction[T], *args: Any) -> T:
        return self._read_now(function, *args)

    def write_blocking(self, function: StorageFunction[T], *args: Any) -> T:
        return self._require_writer().thread.write_blocking(function, *args)

    turn_delays = (0.001, 0.002)
    preloads_state = False

    def state_reader(self, preloaded: StateRows) -> StateReader:
        """Live reads on this thread's read connection: a local file, never waiting for writers (WAL)."""
        return self

    def read_state(self, plugin: str, scope: str, key: str) -> str | None:
        return self._read_now(clicks.read_state_value, plugin, scope, key)

    def read_state_items(self, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]:
        return self._read_now(clicks.read_state_items, plugin, scope, prefix)

    def read_state_values(self, plugin: str, scope: str, keys: list[str]) -> dict[str, str]:
        return self._read_now(clicks.read_state_values, plugin, scope, keys)

    async def wait_for_turn(self, message_id: str, delay: float, since: float) -> None:
        await asyncio.sleep(delay)

    async def health(self) -> str:
        return self._require_writer().health()

    async def close(self) -> None:
        if self._writer is None:
            self._read_only.conn.close()
            return
        self._writer.close()
        assert self._reads is not None
        self._reads.close()
        self._db.conn.close()

    def _read_now(self, function: StorageFunction[T], *args: Any) -> T:
        """Run a storage function on this thread's read connection, at once (a local file: it never waits)."""
        try:
            return drive(function(self._reader(), *args))
        except sqlite3.DatabaseError as error:  # a damaged page met while reading
            if self._writer is None:
                raise unreadable(self.path, error) from None
            raise fault(error) from None

    def _reader(self) -> SqliteTx:
        return SqliteTx(self._reads.get()) if self._reads is not None else self._read_only

    def _require_writer(self) -> Writer:
        if self._writer is None:
            raise StoreBusy(f"{self.path} was opened for reading only", READ_ONLY)
        return self._writer
