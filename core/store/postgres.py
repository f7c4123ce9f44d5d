"""`PostgresStore`: one PostgreSQL database shared by any number of bot hosts (psycopg 3, async).

    store = await PostgresStore.open("postgresql://bot@db:5432/cardbot", pool_size=8, busy_timeout=2.0)

Every call runs on the serving loop without blocking it: each write is one transaction on a pooled
connection, committed before it returns. A process waiting for a card another host has is woken by
NOTIFY on `clicks.TURN_CHANNEL` (sent when the turn is given back to a waiter), with a slow retry as a
fallback should a notification be missed. A deadlock or serialisation failure is retried; a database
that cannot be reached makes the call fail with StoreBusy ("unreachable"), and the pool reconnects by
itself once the database answers again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from ..errors import ConfigError, StoreBusy
from .base import Store, T
from .clicks import TURN_CHANNEL
from .faults import BUSY, OK, UNREACHABLE, FaultEpisodes
from .postgres_schema import migrate
from .tx import POSTGRES, Params, StorageFunction, postgres_sql

log = logging.getLogger("cardbot.store")

CONNECTION_OPTIONS: dict[str, Any] = {
    "application_name": "cardbot",
    "connect_timeout": 5,
    # a host whose database vanished (cable cut, power loss) notices in about 10 s, not hours
    "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
}
RETRIES = 5
"""Tries of a write that meets a deadlock, a serialisation failure, or a connection that died unused."""
NOTICE_MEMORY_SECONDS = 2.0
"""How long a notification that a card's turn was given back is remembered for a waiter that comes late."""
def check_url(url: str) -> None:
    """ConfigError, without the password, for a URL libpq cannot parse."""
    try:
        conninfo_to_dict(url)
    except psycopg.ProgrammingError as error:
        raise ConfigError(f"[bot] database {redacted(url)!r} is not a usable PostgreSQL URL: "
                          f"{_reason(error)}") from None


def redacted(url: str) -> str:
    """`url` without its password, fit for logs and messages."""
    url = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(password=)[^&]*", r"\1***", url)


class PostgresTx:
    """A `Tx` over a psycopg AsyncConnection; counts statements so a retry knows whether any ran."""

    dialect = POSTGRES

    def __init__(self, conn: psycopg.AsyncConnection) -> None:
        self._conn = conn
        self.statements = 0

    async def one(self, sql: str, params: Params = ()) -> tuple | None:
        cursor = await self._execute(sql, params)
        return await cursor.fetchone() if cursor.description else None

    async def all(self, sql: str, params: Params = ()) -> list[tuple]:
        cursor = await self._execute(sql, params)
        return await cursor.fetchall()

    async def run(self, sql: str, params: Params = ()) -> int:
        return (await self._execute(sql, params)).rowcount

    async def _execute(self, sql: str, params: Params) -> psycopg.AsyncCursor:
        cursor = await self._conn.execute(postgres_sql(sql), params or None)
        self.statements += 1
        return cursor


class PostgresStore(Store):
    """A pool of connections to one PostgreSQL database, plus one that listens for freed card turns."""

    def __init__(self, url: str, pool: AsyncConnectionPool, busy_timeout: float) -> None:
        self.url = url
        self.location = redacted(url)
        self._pool = pool
        self._busy_timeout = busy_timeout
        self._loop = asyncio.get_running_loop()
        self.episodes = FaultEpisodes()
        self._freed: dict[str, float] = {}
        self._waiters: dict[str, asyncio.Event] = {}
        self._listener: asyncio.Future | None = None  # started by the first wait: read commands never wait

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 8, busy_timeout: float = 2.0, create: bool = True
                   ) -> PostgresStore:
        """Connect, create or migrate the schema (`create`; read commands change nothing), open the pool.
        ConfigError, one line without the password, when the server cannot be reached or the database is
        not cardbot's."""
        await prepare(url, create=create)
        pool = AsyncConnectionPool(url, min_size=1, max_size=pool_size, timeout=busy_timeout, open=False,
                                   kwargs={**CONNECTION_OPTIONS, "autocommit": True}, name="cardbot")
        await pool.open()
        return cls(url, pool, busy_timeout)

    async def write(self, function: StorageFunction[T], *args: Any) -> T:
        for attempt in range(1, RETRIES + 1):
            tx = None
            try:
                async with self._pool.connection() as conn:
                    tx = PostgresTx(conn)
                    async with conn.transaction():
                        result = await function(tx, *args)
                self.episodes.succeeded()
                return result
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
                if attempt == RETRIES:
                    raise self._failed(StoreBusy("the database kept finding conflicting writes", BUSY))
            except PoolTimeout as error:
                raise self._failed(self._unavailable(error)) from None
            except psycopg.OperationalError as error:
                if tx is None or tx.statements or attempt == RETRIES:  # it may have reached the database
                    raise self._failed(self._unavailable(error)) from None
        raise AssertionError("unreachable")

    async def read(self, function: StorageFunction[T], *args: Any) -> T:
        try:
            async with self._pool.connection() as conn:
                return await function(PostgresTx(conn), *args)
        except (PoolTimeout, psycopg.OperationalError) as error:
            raise self._unavailable(error) from None

    def write_blocking(self, function: StorageFunction[T], *args: Any) -> T:
        if _running_loop() is self._loop:
            raise RuntimeError("write_blocking was called on the event loop; await write() there")
        return asyncio.run_coroutine_threadsafe(self.write(function, *args), self._loop).result()

    turn_delays = (0.05, 0.25)
    preloads_state = True

    async def wait_for_turn(self, message_id: str, delay: float, since: float) -> None:
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen())
        if self._freed.get(message_id, 0.0) > since:
            return
        event = self._waiters.setdefault(message_id, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), delay)
        except asyncio.TimeoutError:
            pass
        finally:
            if self._waiters.get(message_id) is event and not event.is_set():
                del self._waiters[message_id]

    async def health(self) -> str:
        try:
            async with self._pool.connection(timeout=1.0) as conn:
                await conn.execute("SELECT 1")
        except (PoolTimeout, psycopg.Error):
            return UNREACHABLE
        return OK

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
        await self._pool.close()

    def _unavailable(self, error: PoolTimeout | psycopg.OperationalError) -> StoreBusy:
        """What a caller hears when no connection came free (busy) or the server does not answer."""
        if isinstance(error, PoolTimeout):
            return StoreBusy(f"no database connection came free within {self._busy_timeout:g} s", BUSY)
        return StoreBusy(f"the database cannot be reached: {_reason(error)}", UNREACHABLE)

    def _failed(self, busy: StoreBusy) -> StoreBusy:
        self.episodes.failed(busy)
        return busy

    async def _listen(self) -> None:
        """Hear which cards' turns were given back (NOTIFY), reconnecting whenever the connection ends."""
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.url, autocommit=True,
                                                                 **CONNECTION_OPTIONS) as conn:
                    await conn.execute(f"LISTEN {TURN_CHANNEL}")
                    async for notice in conn.notifies():
                        self._turn_freed(notice.payload)
            except psycopg.Error as error:
                log.debug("turn listener reconnecting: %s", error)
                await asyncio.sleep(1.0)

    def _turn_freed(self, message_id: str) -> None:
        now = time.monotonic()
        if len(self._freed) > 10_000:
            self._freed = {key: at for key, at in self._freed.items() if now - at < NOTICE_MEMORY_SECONDS}
        self._freed[message_id] = now
        event = self._waiters.pop(message_id, None)
        if event is not None:
            event.set()


async def prepare(url: str, *, create: bool = True) -> None:
    """Create or migrate cardbot's schema (`create`), or only check it, over one connection. ConfigError,
    one line without the password, when the server cannot be reached or the database is not cardbot's."""
    location = redacted(url)
    try:
        async with await psycopg.AsyncConnection.connect(url, **CONNECTION_OPTIONS) as conn:
            async with conn.transaction():
                await migrate(PostgresTx(conn), location, create=create)
    except psycopg.Error as error:
        raise ConfigError(f"cannot open the database {location}: {_reason(error)}") from None


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _reason(error: BaseException) -> str:
    """The first line of a psycopg error, without the password."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return redacted(text)
