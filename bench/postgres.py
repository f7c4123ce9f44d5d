"""A fresh PostgreSQL database per run, and what the database server spent on it: CPU and commits.

    url = create_database(ADMIN_URL, "bench_012")      # postgresql://…/bench_012, empty
    cpu, commits = server_cpu_seconds("bench_012"), commits_of(ADMIN_URL, "bench_012")
    drop_database(ADMIN_URL, "bench_012")              # DROP DATABASE … WITH (FORCE)

The server's CPU is read from /proc (utime + stime): the backends connected to the run's database, plus
the processes every database shares (postmaster, checkpointer, background writer, WAL writer, launchers).
Backends of other databases (tests running beside the bench) are left out.
"""

from __future__ import annotations

import os
import re
import urllib.parse

import psycopg

from .servers import cpu_seconds

ADMIN_URL = "postgresql://root@127.0.0.1:5432/postgres"
"""The database the bench connects to for creating and dropping its own (`--postgres` overrides it)."""
SETTINGS = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "shared_buffers")
_CLIENT = re.compile(r"\(\d+\)|\[local\]")
"""What a client backend's process title shows after its database name: host(port) or [local]."""


def database_url(admin_url: str, name: str) -> str:
    """`admin_url` naming database `name` instead."""
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> str:
    """Create the empty database `name` (dropping a leftover of that name first); returns its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop `name`, ending any session still connected to it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def commits_of(admin_url: str, name: str) -> int:
    """Transactions committed in database `name` so far (pg_stat_database; a backend reports its own at
    the latest when it ends)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
    return int(row[0]) if row else 0


def server_settings(admin_url: str) -> dict[str, str]:
    """The server settings that decide what a commit costs (SETTINGS), as SHOW prints them."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        return {name: str((conn.execute(f"SHOW {name}").fetchone() or ("?",))[0]) for name in SETTINGS}


def server_cpu_seconds(database: str) -> float:
    """CPU seconds (user + system) the PostgreSQL server's live processes that work for `database` have
    used so far: its backends (and autovacuum workers) and the processes shared by every database."""
    return cpu_seconds(server_processes(database))


def server_processes(database: str) -> list[int]:
    """The pids of the PostgreSQL server's processes that work for `database` (see server_cpu_seconds)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm, open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                name = comm.read().strip()
                title = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if name == "postgres" and _serves(title, database):
            found.append(int(entry))
    return found


def _serves(title: str, database: str) -> bool:
    """Whether the postgres process titled `title` works for `database` (or for every database)."""
    if not title.startswith("postgres: "):
        return True  # the postmaster
    words = title.removeprefix("postgres: ").split()
    if words and words[0].endswith(":"):  # "15/main:", the cluster name
        words = words[1:]
    if _CLIENT.search(title):  # "<user> <database> <host>(<port>) <activity>"
        return len(words) > 1 and words[1] == database
    if words[:2] == ["autovacuum", "worker"]:
        return words[-1] == database
    return True
