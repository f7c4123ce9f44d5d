"""Cards as stored by `card put` or a send: version 1 and its history row, and reading them back."""

from __future__ import annotations

from typing import Any

from ..jsoncodec import loads
from ..patches import Patch
from .clicks import read_card, write_state
from .tx import Tx


async def put_card(tx: Tx, message_id: str, card_json: str, made_by: str, now: float) -> int:
    """Store a card sent by other means (version 1), or a new version replacing it; returns the version."""
    row = await tx.one(
        "INSERT INTO cards (message_id, card, version, created_at, updated_at) VALUES (?, ?, 1, ?, ?) "
        "ON CONFLICT (message_id) DO UPDATE SET card = excluded.card, version = cards.version + 1, "
        "updated_at = excluded.updated_at RETURNING version",
        (message_id, card_json, now, now),
    )
    assert row is not None
    await _record_put(tx, message_id, row[0], card_json, made_by, now)
    return row[0]


async def put_sent_card(tx: Tx, message_id: str, card_json: str, now: float,
                        state: tuple[tuple[str, str, str], ...] = ()) -> int:
    """Store a card just sent as version 1, with the state it starts with ((plugin, key, JSON) per value; the
    scope is the card), and return the version. A message stored already (Lark answered a send retried with
    the same uuid with the first message's id) keeps its card, version and state; its version is returned."""
    inserted = await tx.one(
        "INSERT INTO cards (message_id, card, version, created_at, updated_at, sent_at) VALUES (?, ?, 1, ?, ?, ?) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING version",
        (message_id, card_json, now, now, now),
    )
    if inserted is None:
        stored = await read_card(tx, message_id)
        assert stored is not None
        return stored.version
    await _record_put(tx, message_id, 1, card_json, "send", now)
    await write_state(tx, tuple((plugin, message_id, key, value) for plugin, key, value in state), ())
    return 1


async def _record_put(tx: Tx, message_id: str, version: int, card_json: str, made_by: str, now: float) -> None:
    await tx.run(
        "INSERT INTO history (message_id, version, made_by, patch, created_at) VALUES (?, ?, ?, ?, ?)",
        (message_id, version, made_by, Patch.replace(loads(card_json)).to_json_text(), now),
    )


async def show_card(tx: Tx, message_id: str, history: bool = False) -> dict[str, Any] | None:
    """The card as JSON-ready data: message_id, version, card, timestamps (and history, clicks, and what the
    clicks asked to send), or None."""
    row = await tx.one("SELECT card, version, created_at, updated_at, sent_at FROM cards WHERE message_id = ?",
                       (message_id,))
    if row is None:
        return None
    shown: dict[str, Any] = {
        "message_id": message_id,
        "version": row[1],
        "card": loads(row[0]),
        "created_at": row[2],
        "updated_at": row[3],
        "sent_at": row[4],
    }
    if history:
        shown["history"] = await card_history(tx, message_id)
        shown["clicks"] = await card_clicks(tx, message_id)
        shown["outbox"] = await outbox_of_card(tx, message_id)
    return shown


async def record_push(tx: Tx, message_id: str, version: int, delivery_id: str | None, method: str,
                accepted: bool, detail: str | None, now: float) -> None:
    """Record what was pushed to Lark for a version of the card, and whether Lark accepted it."""
    await tx.run(
        "INSERT INTO pushes (message_id, version, delivery_id, method, accepted, detail, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (message_id, version, delivery_id, method, int(accepted), detail, now),
    )


async def card_history(tx: Tx, message_id: str) -> list[dict[str, Any]]:
    """One entry per version, oldest first: who or what made it, the patch, and what was pushed to Lark."""
    pushes: dict[int, list[dict[str, Any]]] = {}
    for version, delivery_id, method, accepted, detail, created_at in await tx.all(
        "SELECT version, delivery_id, method, accepted, detail, created_at FROM pushes WHERE message_id = ? "
        "ORDER BY id",
        (message_id,),
    ):
        pushes.setdefault(version, []).append({"delivery_id": delivery_id, "method": method,
                                               "accepted": bool(accepted), "detail": detail,
                                               "created_at": created_at})
    rows = await tx.all(
        "SELECT version, made_by, plugin, button_type, operator, delivery_id, patch, created_at FROM history "
        "WHERE message_id = ? ORDER BY version",
        (message_id,),
    )
    return [
        {
            "version": version, "made_by": made_by, "plugin": plugin, "button_type": button_type,
            "operator": operator, "delivery_id": delivery_id,
            "patch": loads(patch) if patch else None, "created_at": created_at,
            "pushes": pushes.get(version, []),
        }
        for version, made_by, plugin, button_type, operator, delivery_id, patch, created_at in rows
    ]


async def card_clicks(tx: Tx, message_id: str) -> list[dict[str, Any]]:
    """Every recorded delivery of a click on the card, oldest first, with how it ended and which serving
    process ran it (`holder`: the process's random token, then the click's number in it)."""
    rows = await tx.all(
        "SELECT delivery_id, status, answer, plugin, version, detail, created_at, finished_at, holder FROM deliveries "
        "WHERE message_id = ? ORDER BY created_at, delivery_id",
        (message_id,),
    )
    keys = ("delivery_id", "status", "answer", "plugin", "version", "detail", "created_at", "finished_at", "holder")
    return [dict(zip(keys, row)) for row in rows]


async def outbox_of_card(tx: Tx, card_id: str) -> list[dict[str, Any]]:
    """What clicks on the card asked to send, and how each ended, oldest first (for `card show --history`)."""
    rows = await tx.all(
        "SELECT id, source, plugin, kind, receive_id_type, receive_id, msg_type, status, attempts, message_id, "
        "detail, created_at, sent_at FROM outbox WHERE source_card = ? ORDER BY created_at, id", (card_id,))
    keys = ("id", "source", "plugin", "kind", "receive_id_type", "receive_id", "msg_type", "status", "attempts",
            "message_id", "detail", "created_at", "sent_at")
    return [dict(zip(keys, row)) for row in rows]
