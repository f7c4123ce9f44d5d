"""The outbox's rows after their commit: taken by the dispatcher, sent, recorded sent (a sent card stored as
version 1 of its message, with the state it starts with), retried, or recorded failed.

A row is `pending` until it is sent or fails for good. Only the process holding the dispatcher role sends
(later/dispatcher.py), so it takes every due row: one a process that lost the role had taken and not
recorded is sent again under the same Lark `uuid`, and Lark posts it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..jsoncodec import dumps, loads
from .cards import put_sent_card
from .effects import FAILED, PENDING, SENT, OutboxEntry
from .tx import Tx


@dataclass(frozen=True, slots=True)
class OutboxRow(OutboxEntry):
    """A pending outbox row as the dispatcher sends it: the entry as committed, and how often it was tried."""

    attempts: int = 0


_COLUMNS = "id, plugin, kind, receive_id_type, receive_id, msg_type, content, state, in_thread, attempts"


async def take_due(tx: Tx, holder: str, now: float, limit: int) -> list[OutboxRow]:
    """Up to `limit` pending rows due now, oldest first, marked taken by `holder`."""
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM outbox WHERE status = ? AND next_at <= ? ORDER BY created_at, id LIMIT ?",
        (PENDING, now, limit),
    )
    taken = []
    for row in rows:
        if await tx.run("UPDATE outbox SET holder = ? WHERE id = ? AND status = ?", (holder, row[0], PENDING)):
            row_id, plugin, kind, receive_id_type, receive_id, msg_type, content, state, in_thread, attempts = row
            taken.append(OutboxRow(row_id, plugin, kind, receive_id_type, receive_id, msg_type, content, state,
                                   bool(in_thread), attempts))
    return taken


async def record_sent(tx: Tx, row: OutboxRow, message_id: str, now: float) -> bool:
    """Record the row sent as `message_id`; a card it sent is stored as version 1 with its starting state.
    False (nothing written) when the row was already recorded, by a taker whose lease had run out."""
    if not await tx.run("UPDATE outbox SET status = ?, message_id = ?, sent_at = ?, attempts = attempts + 1, "
                        "detail = NULL WHERE id = ? AND status = ?", (SENT, message_id, now, row.id, PENDING)):
        return False
    if row.msg_type == "interactive" and row.content is not None:
        values: dict[str, Any] = loads(row.state) if row.state is not None and row.plugin is not None else {}
        await put_sent_card(tx, message_id, row.content, now,
                            tuple((row.plugin or "", key, dumps(value)) for key, value in values.items()))
    return True


async def record_retry(tx: Tx, row: OutboxRow, next_at: float, detail: str) -> None:
    """A transient failure: try again at `next_at`."""
    await tx.run("UPDATE outbox SET attempts = attempts + 1, next_at = ?, detail = ? WHERE id = ? AND status = ?",
                 (next_at, detail, row.id, PENDING))


async def record_failed(tx: Tx, row: OutboxRow, detail: str, now: float) -> None:
    """Failed for good (refused by Lark, or out of attempts)."""
    await tx.run("UPDATE outbox SET status = ?, attempts = attempts + 1, detail = ?, sent_at = ? "
                 "WHERE id = ? AND status = ?", (FAILED, detail, now, row.id, PENDING))


async def next_due(tx: Tx) -> float | None:
    """When the earliest pending row is due (None: nothing pending)."""
    row = await tx.one("SELECT min(next_at) FROM outbox WHERE status = ?", (PENDING,))
    return row[0] if row else None


_LISTED = ("plugin", "kind", "receive_id_type", "receive_id", "msg_type", "content", "state", "status", "message_id",
           "detail")


async def list_outbox(tx: Tx) -> list[dict[str, Any]]:
    """Every outbox row, oldest first, with its content and state decoded (the test harness's `outbox()`)."""
    rows = await tx.all(f"SELECT {', '.join(_LISTED)} FROM outbox ORDER BY created_at, id")
    listed = []
    for row in rows:
        entry = dict(zip(_LISTED, row))
        entry["content"] = loads(entry["content"]) if entry["content"] else None
        entry["state"] = loads(entry["state"]) if entry["state"] else None
        listed.append(entry)
    return listed
