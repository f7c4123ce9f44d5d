"""Open the SQLite database (WAL) and create cardbot's tables through sqlite-utils.

    db = open_database(Path("cardbot.db"))    # sqlite_utils.Database, tables ready
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable

import sqlite_utils

from ..errors import ConfigError

SCHEMA_VERSION = 5
"""1: first release. 2: card_leases.waiter / waiter_until (fair turns between worker processes).
3: deliveries.keep_forever (the dedupe record of a callback whose time was not checked is never pruned).
4: processes (which serving processes are alive: see liveness.py). 5: outbox, timers, roles (sending and
timers after the click: see outbox.py, timers.py), cards.sent_at. The same numbers on PostgreSQL."""


def connect(path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal") -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, and a bounded busy wait."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    conn.execute(f"PRAGMA synchronous = {'FULL' if synchronous == 'full' else 'NORMAL'}")
    return conn


def open_database(path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal") -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with every table cardbot uses.

    Raises ConfigError, one line naming the cause, for a path that cannot hold a database, a file that
    is not an SQLite database or is damaged, and a database whose tables are not cardbot's.
    """
    path = Path(path)
    _check_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path, busy_timeout=busy_timeout, synchronous=synchronous)
        db = sqlite_utils.Database(conn, execute_plugins=False)
        db.enable_wal()
        conn.execute("BEGIN IMMEDIATE")  # workers starting together take turns (busy_timeout) to create tables
        try:
            _create_tables(db, path)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    except (sqlite3.DatabaseError, OSError) as error:
        raise ConfigError(f"cannot open the database {path}: {_reason(error)}") from None
    return db


def open_read_only(path: Path, tables: Iterable[str] = ("cards", "history", "deliveries", "pushes")
                   ) -> sqlite3.Connection:
    """Open the database at `path` for reading only: no lock that stops a writer, nothing created or changed.

    Raises DatabaseMissing when there is no file, ConfigError when it is not a cardbot database with
    `tables` (or is damaged). Works on a read-only file or file system.
    """
    path = require_database(path)
    uri = path.absolute().as_uri()
    try:
        try:
            conn = _check_readable(sqlite3.connect(f"{uri}?mode=ro", uri=True, isolation_level=None))
        except sqlite3.OperationalError:
            wal = path.with_name(path.name + "-wal")
            if os.access(path.parent, os.W_OK) or wal.exists() and wal.stat().st_size:
                raise
            # a WAL database in a folder nobody may write to has no -shm file to share, so no writer: read as is
            conn = _check_readable(sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None))
        _check_columns(conn, path, tables)
    except sqlite3.DatabaseError as error:
        raise unreadable(path, error) from None
    return conn


def require_database(path: Path) -> Path:
    """`path`, once it is sure to name an existing file: DatabaseMissing (or ConfigError) otherwise."""
    path = Path(path)
    _check_path(path)
    if not path.is_file():
        raise DatabaseMissing(f"no database at {path}" + ("" if path.parent.is_dir() else
                                                           f" (the folder {path.parent} does not exist either)"))
    return path


class DatabaseMissing(ConfigError):
    """There is no database file where the configuration says (a read command creates none)."""


TABLES: dict[str, dict[str, type]] = {
    "cards": {"message_id": str, "card": str, "version": int, "created_at": float, "updated_at": float,
              "sent_at": float},
    "history": {
        "message_id": str, "version": int, "made_by": str, "plugin": str, "button_type": str,
        "operator": str, "delivery_id": str, "patch": str, "created_at": float,
    },
    "deliveries": {
        "delivery_id": str, "message_id": str, "status": str, "answer": str, "toast": str,
        "plugin": str, "version": int, "holder": str, "detail": str, "created_at": float, "finished_at": float,
        "keep_forever": int,
    },
    "plugin_state": {"plugin": str, "message_id": str, "key": str, "value": str},
    "pushes": {
        "id": int, "message_id": str, "version": int, "delivery_id": str, "method": str, "accepted": int,
        "detail": str, "created_at": float,
    },
    "card_leases": {"message_id": str, "holder": str, "expires_at": float, "waiter": str, "waiter_until": float},
    "processes": {"token": str, "alive_until": float, "started_at": float},
    "outbox": {
        "id": str, "plugin": str, "source": str, "source_card": str, "kind": str, "receive_id_type": str,
        "receive_id": str, "msg_type": str, "content": str, "state": str, "in_thread": int, "status": str,
        "attempts": int, "next_at": float, "holder": str, "message_id": str,
        "detail": str, "created_at": float, "sent_at": float,
    },
    "timers": {
        "plugin": str, "key": str, "due_at": float, "payload": str, "card_id": str, "outbox_id": str,
        "generation": str, "source": str, "created_at": float,
    },
    "roles": {"role": str, "holder": str, "until": float},
}
"""Every table cardbot uses and the columns it needs in it."""

_KEYS: dict[str, tuple[str | tuple[str, ...], set[str]]] = {
    "cards": ("message_id", {"card", "version"}),
    "history": (("message_id", "version"), set()),
    "deliveries": ("delivery_id", {"status"}),
    "plugin_state": (("plugin", "message_id", "key"), set()),
    "pushes": ("id", set()),
    "card_leases": ("message_id", set()),
    "processes": ("token", {"alive_until"}),
    "outbox": ("id", {"status", "kind"}),
    "timers": (("plugin", "key"), {"due_at", "generation"}),
    "roles": ("role", set()),
}
"""Primary key and NOT NULL columns of each table, as created."""


ADDED_COLUMNS = {"card_leases": ("waiter", "waiter_until"), "deliveries": ("keep_forever",), "cards": ("sent_at",)}
"""Columns added after a table was first released: a database of an older version gets them."""


def _create_tables(db: sqlite_utils.Database, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{path} was written by a newer cardbot (schema {version} > {SCHEMA_VERSION})")
    for name, columns in TABLES.items():
        pk, not_null = _KEYS[name]
        db.table(name).create(columns, pk=pk, not_null=not_null, if_not_exists=True)
    for name, columns in TABLES.items():  # columns later versions added (a foreign table is refused below)
        present = db.table(name).columns_dict
        if present:
            for column, kind in columns.items():
                if column not in present and column in ADDED_COLUMNS.get(name, ()):
                    db.table(name).add_column(column, kind)
    _check_columns(db.conn, path, TABLES)
    db.table("deliveries").create_index(["status"], if_not_exists=True)
    db.table("deliveries").create_index(["created_at"], if_not_exists=True)
    db.table("history").create_index(["created_at"], if_not_exists=True)
    db.table("pushes").create_index(["message_id", "version"], if_not_exists=True)
    db.table("outbox").create_index(["status", "next_at"], if_not_exists=True)
    db.table("outbox").create_index(["source_card"], if_not_exists=True)
    db.table("timers").create_index(["due_at"], if_not_exists=True)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _check_columns(conn: sqlite3.Connection, path: Path, tables: Iterable[str]) -> None:
    """ConfigError unless each of `tables` exists with every column cardbot needs in it."""
    for name in tables:
        present = [row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")]
        if not present:
            raise ConfigError(f"{path} is not a cardbot database: it has no {name} table")
        lacking = [column for column in TABLES[name] if column not in present]
        if lacking:
            raise ConfigError(f"{path} is not a cardbot database: its {name} table lacks the columns "
                              f"{', '.join(lacking)} (it has {', '.join(present)})")


def _check_readable(conn: sqlite3.Connection) -> sqlite3.Connection:
    """`conn` once SQLite has read the file's header and schema (opening alone reads nothing)."""
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _check_path(path: Path) -> None:
    """ConfigError when `path` cannot name a database file (before anything is created)."""
    if "\0" in str(path):
        raise ConfigError(f"the database path {str(path)!r} is not usable: it contains a NUL character")
    if path.is_dir():
        raise ConfigError(f"the database path {path} is a folder, not a database file")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"the database path {path} is not usable: {parent} is a file, not a folder")
            return


def unreadable(path: Path, error: BaseException) -> ConfigError:
    """The error for a database that cannot be read (damaged, not SQLite, …), in words an admin acts on."""
    return ConfigError(f"cannot read the database {path}: {_reason(error)}")


def _reason(error: BaseException) -> str:
    """What went wrong, in words an administrator acts on."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    text = str(error)
    if text in ("file is not a database", "database disk image is malformed"):
        return f"the file is damaged or not an SQLite database ({text})"
    return text
