"""Which storage backends the tests can run on, and a fresh PostgreSQL database for each test.

    reason = postgres_unavailable_reason()      # None, or why the PostgreSQL variants skip
    with fresh_database() as url:               # postgresql://…/cardbot_t_1a2b…, dropped afterwards
        ...

The PostgreSQL server is named by CARDBOT_TEST_POSTGRES (a libpq URL of any database on it, e.g.
postgresql://root@127.0.0.1:5432/postgres). Unset, the PostgreSQL variants skip with a reason; set but
unreachable, they fail (CI sets it, so CI never skips them silently).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from cardbot.config import parse_config
from cardbot.store import Store, open_store

VARIABLE = "CARDBOT_TEST_POSTGRES"


def postgres_server_url() -> str | None:
    """The test PostgreSQL server's URL, or None."""
    return os.environ.get(VARIABLE) or None


@lru_cache(maxsize=1)
def _connect_error(url: str) -> str | None:
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return None


def postgres_unavailable_reason() -> str | None:
    """None when the PostgreSQL tests can run; why they skip otherwise. Fails the calling test when
    CARDBOT_TEST_POSTGRES names a server that does not answer."""
    url = postgres_server_url()
    if url is None:
        return (f"PostgreSQL tests skipped: set {VARIABLE}=postgresql://USER@HOST:5432/postgres "
                "(a server where USER may create databases) to run them")
    error = _connect_error(url)
    if error is not None:
        from cardbot.store.postgres import redacted

        pytest.fail(f"{VARIABLE}={redacted(url)} does not answer: {redacted(error)}", pytrace=False)
    return None


def database_url(server_url: str, name: str) -> str:
    """`server_url` naming database `name` instead (user, password, host, port and options kept)."""
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


@contextlib.contextmanager
def fresh_database(server_url: str | None = None) -> Iterator[str]:
    """A new, empty database on the test server (its connection string), dropped afterwards."""
    import psycopg

    server_url = server_url or postgres_server_url()
    assert server_url, f"{VARIABLE} is not set"
    name = f"cardbot_t_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield database_url(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def database_for(backend: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database on "postgres", dropped afterwards; None on "sqlite" (servers use their file)."""
    if backend != "postgres":
        yield None
        return
    with fresh_database() as url:
        yield url


async def open_at(database: Path | str) -> Store:
    """A Store on `database` (a SQLite path or a PostgreSQL URL), with default settings otherwise."""
    return await open_store(parse_config({"bot": {"database": str(database)}}, Path("/tmp/plugins.toml")).bot)
