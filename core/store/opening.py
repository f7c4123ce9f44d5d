"""Open the store `[bot] database` names: a SQLite file (the default) or a PostgreSQL database.

    store = await open_store(config.bot)                    # creates or migrates the schema
    store = await open_store(config.bot, read_only=True)    # read commands: creates and locks nothing
"""

from __future__ import annotations

from pathlib import Path

from ..config import BotSettings
from .base import Store
from .sqlite import SqliteStore


async def open_store(settings: BotSettings, *, read_only: bool = False) -> Store:
    """The store for `settings.database`. ConfigError (DatabaseMissing for a read of nothing) saying why
    it cannot be opened, in one line without a password."""
    if isinstance(settings.database, Path):
        return SqliteStore(settings.database, busy_timeout=settings.busy_timeout, synchronous=settings.synchronous,
                           read_only=read_only)
    from .postgres import PostgresStore  # imported here: a SQLite bot never loads psycopg

    return await PostgresStore.open(settings.database, pool_size=settings.database_pool,
                                    busy_timeout=settings.busy_timeout, create=not read_only)
