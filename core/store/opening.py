"""Open the store `[bot] database` names: a SQLite file (the default) or a PostgreSQL database.

    store = await open_store(config.bot)                    # creates or migrates the schema
    store = await open_store(config.bot, read_only=True)    # read commands: creates and locks nothing
    store = await open_store(config.bot, create=False)      # DatabaseMissing rather than a new database
    await prepare_database(config.bot)                      # `serve`: the schema once, before the workers
"""

from __future__ import annotations

from pathlib import Path

from ..config import BotSettings
from .base import Store
from .schema import open_database, require_database
from .sqlite import SqliteStore


async def open_store(settings: BotSettings, *, read_only: bool = False, create: bool = True) -> Store:
    """The store for `settings.database`. ConfigError (DatabaseMissing when there is nothing to read, or
    nothing to write to without `create`) saying why it cannot be opened, in one line without a password."""
    if isinstance(settings.database, Path):
        if not create:
            require_database(settings.database)
        return SqliteStore(settings.database, busy_timeout=settings.busy_timeout, synchronous=settings.synchronous,
                           read_only=read_only)
    from .postgres import PostgresStore  # imported here: a SQLite bot never loads psycopg

    return await PostgresStore.open(settings.database, pool_size=settings.database_pool,
                                    busy_timeout=settings.busy_timeout, create=create and not read_only)


async def prepare_database(settings: BotSettings) -> None:
    """Create or migrate the schema (SQLite: and switch to WAL) once, with one connection and nothing else."""
    if isinstance(settings.database, Path):
        open_database(settings.database, busy_timeout=settings.busy_timeout,
                      synchronous=settings.synchronous).conn.close()
        return
    from .postgres import prepare

    await prepare(settings.database)
