"""`Tx`: what a storage function runs its SQL through, so one function serves SQLite and PostgreSQL.

    async def read_card(tx: Tx, message_id: str) -> StoredCard | None:
        row = await tx.one("SELECT card, version FROM cards WHERE message_id = ?", (message_id,))

SQL is written once, in SQLite's parameter style (`?` and `:name`); the PostgreSQL side rewrites it
for psycopg. On SQLite the awaits never suspend, so `drive` runs such a function to its end at once
(inside the writer's batch, without a thread or a task); on PostgreSQL they are real network awaits.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from typing import Any, Callable, Coroutine, Protocol, Sequence, TypeVar

T = TypeVar("T")
StorageFunction = Callable[..., Coroutine[Any, Any, T]]
"""`async def f(tx: Tx, *args) -> T`: the form of every function that reads or writes storage."""
Params = Sequence[Any] | dict[str, Any]

SQLITE = "sqlite"
POSTGRES = "postgres"


class Tx(Protocol):
    """One connection inside a transaction (writes) or in autocommit (reads)."""

    dialect: str
    """SQLITE or POSTGRES, for the few statements the two spell differently."""

    async def one(self, sql: str, params: Params = ()) -> tuple | None:
        """The first row, or None."""

    async def all(self, sql: str, params: Params = ()) -> list[tuple]:
        """Every row."""

    async def run(self, sql: str, params: Params = ()) -> int:
        """Execute a statement; the number of rows it changed."""


class SqliteTx:
    """A `Tx` over an sqlite3 connection; its awaits complete at once."""

    dialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def one(self, sql: str, params: Params = ()) -> tuple | None:
        return self.conn.execute(sql, params).fetchone()

    async def all(self, sql: str, params: Params = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    async def run(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(sql, params).rowcount


def drive(work: Coroutine[Any, Any, T]) -> T:
    """Run a storage coroutine over a `SqliteTx` to its end, synchronously (it never suspends)."""
    try:
        work.send(None)
    except StopIteration as finished:
        return finished.value
    work.close()
    raise RuntimeError("a storage function awaited something other than its SQLite connection")


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=512)
def postgres_sql(sql: str) -> str:
    """`sql` in psycopg's parameter style: `?` → `%s`, `:name` → `%(name)s` (a literal % doubled)."""
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%").replace("?", "%s"))
