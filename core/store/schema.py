"""Open the SQLite database (WAL) and create cardbot's tables through sqlite-utils.

    db = open_database(Path("cardbot.db"))    # sqlite_utils.Database, tables ready
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from ..errors import ConfigError

SCHEMA_VERSION = 2
"""1: first release. 2: card_leases.waiter / waiter_until (fair turns between worker processes)."""


def connect(path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal") -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, and a bounded busy wait."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    conn.execute(f"PRAGMA synchronous = {'FULL' if synchronous == 'full' else 'NORMAL'}")
    return conn


def open_database(path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal") -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with every table cardbot uses."""
    path = Path(path)
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
        raise ConfigError(f"cannot open the database {path}: {error}") from None
    return db


def _create_tables(db: sqlite_utils.Database, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{path} was written by a newer cardbot (schema {version} > {SCHEMA_VERSION})")
    db["cards"].create(
        {"message_id": str, "card": str, "version": int, "created_at": float, "updated_at": float},
        pk="message_id", not_null={"card", "version"}, if_not_exists=True,
    )
    db["history"].create(
        {
            "message_id": str, "version": int, "made_by": str, "plugin": str, "button_type": str,
            "operator": str, "delivery_id": str, "patch": str, "created_at": float,
        },
        pk=("message_id", "version"), if_not_exists=True,
    )
    db["deliveries"].create(
        {
            "delivery_id": str, "message_id": str, "status": str, "answer": str, "toast": str,
            "plugin": str, "version": int, "holder": str, "detail": str, "created_at": float, "finished_at": float,
        },
        pk="delivery_id", not_null={"status"}, if_not_exists=True,
    )
    db["plugin_state"].create(
        {"plugin": str, "message_id": str, "key": str, "value": str},
        pk=("plugin", "message_id", "key"), if_not_exists=True,
    )
    db["pushes"].create(
        {
            "id": int, "message_id": str, "version": int, "delivery_id": str, "method": str, "accepted": int,
            "detail": str, "created_at": float,
        },
        pk="id", if_not_exists=True,
    )
    db["card_leases"].create(
        {"message_id": str, "holder": str, "expires_at": float, "waiter": str, "waiter_until": float},
        pk="message_id", if_not_exists=True,
    )
    if "waiter" not in db["card_leases"].columns_dict:  # a version 1 database
        db["card_leases"].add_column("waiter", str)
        db["card_leases"].add_column("waiter_until", float)
    db["deliveries"].create_index(["status"], if_not_exists=True)
    db["deliveries"].create_index(["created_at"], if_not_exists=True)
    db["history"].create_index(["created_at"], if_not_exists=True)
    db["pushes"].create_index(["message_id", "version"], if_not_exists=True)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
