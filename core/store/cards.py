"""Cards as stored by `card put` or a send: version 1 and its history row, and reading them back."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..jsoncodec import dumps, loads
from ..patches import Patch
from .clicks import read_card


def put_card(conn: sqlite3.Connection, message_id: str, card_json: str, made_by: str, now: float) -> int:
    """Store a card sent by other means (version 1), or a new version replacing it; returns the version."""
    stored = read_card(conn, message_id)
    version = 1 if stored is None else stored.version + 1
    conn.execute(
        "INSERT INTO cards (message_id, card, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (message_id) DO UPDATE SET card = excluded.card, version = excluded.version, "
        "updated_at = excluded.updated_at",
        (message_id, card_json, version, now, now),
    )
    conn.execute(
        "INSERT INTO history (message_id, version, made_by, patch, created_at) VALUES (?, ?, ?, ?, ?)",
        (message_id, version, made_by, dumps(Patch.replace(loads(card_json)).to_json()), now),
    )
    return version


def put_sent_card(conn: sqlite3.Connection, message_id: str, card_json: str, now: float) -> int:
    """Store a card just sent as version 1 and return it. A message stored already (Lark answered a send
    retried with the same uuid with the first message's id) keeps its card and version, which is returned."""
    stored = read_card(conn, message_id)
    if stored is not None:
        return stored.version
    return put_card(conn, message_id, card_json, "send", now)


def show_card(conn: sqlite3.Connection, message_id: str, *, history: bool = False) -> dict[str, Any] | None:
    """The card as JSON-ready data: message_id, version, card, timestamps (and history), or None."""
    row = conn.execute(
        "SELECT card, version, created_at, updated_at FROM cards WHERE message_id = ?", (message_id,)
    ).fetchone()
    if row is None:
        return None
    shown: dict[str, Any] = {
        "message_id": message_id,
        "version": row[1],
        "card": loads(row[0]),
        "created_at": row[2],
        "updated_at": row[3],
    }
    if history:
        shown["history"] = card_history(conn, message_id)
        shown["clicks"] = card_clicks(conn, message_id)
    return shown


def record_push(conn: sqlite3.Connection, message_id: str, version: int, delivery_id: str | None, method: str,
                accepted: bool, detail: str | None, now: float) -> None:
    """Record what was pushed to Lark for a version of the card, and whether Lark accepted it."""
    conn.execute(
        "INSERT INTO pushes (message_id, version, delivery_id, method, accepted, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (message_id, version, delivery_id, method, int(accepted), detail, now),
    )


def card_history(conn: sqlite3.Connection, message_id: str) -> list[dict[str, Any]]:
    """One entry per version, oldest first: who or what made it, the patch, and what was pushed to Lark."""
    pushes: dict[int, list[dict[str, Any]]] = {}
    for version, delivery_id, method, accepted, detail, created_at in conn.execute(
        "SELECT version, delivery_id, method, accepted, detail, created_at FROM pushes WHERE message_id = ? "
        "ORDER BY id",
        (message_id,),
    ):
        pushes.setdefault(version, []).append({"delivery_id": delivery_id, "method": method,
                                               "accepted": bool(accepted), "detail": detail,
                                               "created_at": created_at})
    rows = conn.execute(
        "SELECT version, made_by, plugin, button_type, operator, delivery_id, patch, created_at FROM history "
        "WHERE message_id = ? ORDER BY version",
        (message_id,),
    ).fetchall()
    return [
        {
            "version": version, "made_by": made_by, "plugin": plugin, "button_type": button_type,
            "operator": operator, "delivery_id": delivery_id,
            "patch": loads(patch) if patch else None, "created_at": created_at,
            "pushes": pushes.get(version, []),
        }
        for version, made_by, plugin, button_type, operator, delivery_id, patch, created_at in rows
    ]


def card_clicks(conn: sqlite3.Connection, message_id: str) -> list[dict[str, Any]]:
    """Every recorded delivery of a click on the card, oldest first, with how it ended."""
    rows = conn.execute(
        "SELECT delivery_id, status, answer, plugin, version, detail, created_at, finished_at FROM deliveries "
        "WHERE message_id = ? ORDER BY created_at",
        (message_id,),
    ).fetchall()
    keys = ("delivery_id", "status", "answer", "plugin", "version", "detail", "created_at", "finished_at")
    return [dict(zip(keys, row)) for row in rows]
