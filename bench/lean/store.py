"""Step 2 of the lean reference: every write of one event-loop turn in one transaction (the group commit), and
the writes of a click: its claim, its outcome, its vote, "processing".

    commit = GroupCommit(connect(database))
    claimed = await commit.write(claim, delivery_id, message_id, holder, time.time(), keep_forever)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

import orjson

from .toasts import COUNTED, PROCESSING
from .verify import Click

PLUGIN = "vote"


class Conflict(Exception):
    """A write that must not happen (the card moved past the version read, the delivery is not ours)."""


class GroupCommit:
    """`await commit.write(function, *args)` runs `function(conn, *args)` with the other writes of this loop
    turn in one transaction (a savepoint each when there are several: one that raises Conflict is undone
    alone) and returns its result once committed. Any other error fails the whole batch, nothing written."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._pending: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []

    def write(self, function: Callable[..., Any], *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._flush)
        future = loop.create_future()
        self._pending.append((function, args, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        conn, savepoints = self._conn, len(batch) > 1
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for function, args, _ in batch:
                if savepoints:
                    conn.execute("SAVEPOINT write")
                try:
                    outcomes.append((function(conn, *args), None))
                except Conflict as conflict:
                    conn.execute("ROLLBACK TO write" if savepoints else "ROLLBACK")
                    outcomes.append((None, conflict))
                if savepoints:
                    conn.execute("RELEASE write")
            if conn.in_transaction:
                conn.execute("COMMIT")
        except Exception as fault:  # noqa: BLE001 - a database error (or a bug) fails the whole batch, never hangs it
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(None, fault)] * len(batch)
        for (_, _, future), (result, error) in zip(batch, outcomes):
            if future.cancelled():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


def claim(conn: sqlite3.Connection, delivery_id: str, message_id: str, holder: str, now: float,
          keep_forever: bool) -> bool:
    """Record the delivery as running for `holder`; False when an earlier copy holds the record."""
    return conn.execute(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, 'running', ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET holder = deliveries.holder "
        "WHERE deliveries.holder = excluded.holder RETURNING 1",
        (delivery_id, message_id, holder, now, 1 if keep_forever else None)).fetchone() is not None


def finish(conn: sqlite3.Connection, delivery_id: str, holder: str, status: str, toast: bytes,
           version: int | None, now: float) -> None:
    """The delivery's outcome and answer (its toast, unless "processing" went out first)."""
    if conn.execute(
        "UPDATE deliveries SET status = ?, toast = CASE WHEN answer IS NULL THEN ? ELSE toast END, plugin = ?, "
        "version = ?, finished_at = ?, answer = COALESCE(answer, 'result') "
        "WHERE delivery_id = ? AND holder = ? AND status = 'running'",
        (status, toast.decode(), PLUGIN, version, now, delivery_id, holder)).rowcount != 1:
        raise Conflict(f"delivery {delivery_id} is no longer running")


def commit_vote(conn: sqlite3.Connection, click: Click, holder: str, version: int, card_json: bytes,
                patch_json: bytes, state: list[tuple[str, str]], now: float) -> None:
    """The new card (compare-and-swap on `version`), its history row, the vote's state and the answer."""
    if conn.execute("UPDATE cards SET card = ?, version = ?, updated_at = ? WHERE message_id = ? AND version = ?",
                    (card_json.decode(), version + 1, now, click.message_id, version)).rowcount != 1:
        raise Conflict(f"card {click.message_id} is no longer at version {version}")
    conn.execute("INSERT INTO history (message_id, version, made_by, plugin, button_type, operator, delivery_id, "
                 "patch, created_at) VALUES (?, ?, 'plugin', ?, 'vote', ?, ?, ?, ?)",
                 (click.message_id, version + 1, PLUGIN, click.operator, click.delivery_id, patch_json.decode(), now))
    conn.executemany("INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = excluded.value",
                     [(PLUGIN, click.message_id, key, value) for key, value in state])
    finish(conn, click.delivery_id, holder, "done", orjson.dumps(COUNTED), version + 1, now)


def mark_processing(conn: sqlite3.Connection, delivery_id: str, holder: str) -> bool:
    """Record that "processing" answered the click; False when it finished (or is another copy's)."""
    return conn.execute("UPDATE deliveries SET answer = 'processing', toast = ? WHERE delivery_id = ? "
                        "AND holder = ? AND status = 'running'",
                        (orjson.dumps(PROCESSING).decode(), delivery_id, holder)).rowcount == 1


def connect(database: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(database, isolation_level=None, timeout=2.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints (and their fsync) run on the helper thread
    return conn


def checkpoint_every_second(conn: sqlite3.Connection) -> None:
    """Checkpoint the WAL every second, forever (on a helper thread, as cardbot's DatabaseThread)."""
    while True:
        time.sleep(1.0)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass
