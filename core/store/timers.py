"""Timers after they are set: which are due, when the next one is, and the list an admin sees.

A timer row is (plugin, key) → when it is due, its payload, the card it targets (or the outbox entry that
will send that card: it is not due before that send is recorded), and a `generation` that names this
setting of it. Running a timer is a delivery `timer:<plugin>:<key>:<generation>` (recorded like a click,
so it runs once, and a crash records it interrupted); its commit removes the row of that generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .effects import FAILED, SENT
from .tx import Tx


_CARD_SENT = "LEFT JOIN outbox o ON o.id = t.outbox_id WHERE (t.outbox_id IS NULL OR o.status IN (?, ?))"
"""Timers that can run: they target no card in the outbox, or its send is recorded (sent, or failed for good)."""


@dataclass(frozen=True, slots=True)
class DueTimer:
    """A timer to run now: its card is known (`card_id`), or it has none, or its card's send failed."""

    plugin: str
    key: str
    due_at: float
    payload: str | None
    card_id: str | None
    generation: str
    card_never_sent: bool = False

    @property
    def delivery_id(self) -> str:
        """The delivery that runs it: one per setting of the timer."""
        return f"timer:{self.plugin}:{self.key}:{self.generation}"


async def due_timers(tx: Tx, now: float, limit: int) -> list[DueTimer]:
    """Up to `limit` timers due by `now`, earliest first; one waiting for its card's send is not due until
    the send is recorded (sent, or failed for good)."""
    rows = await tx.all(f"SELECT {_DUE_COLUMNS} FROM timers t {_CARD_SENT} AND t.due_at <= ? "
                        f"ORDER BY t.due_at, t.plugin, t.key LIMIT ?", (SENT, FAILED, now, limit))
    return [_due(row) for row in rows]


_DUE_COLUMNS = "t.plugin, t.key, t.due_at, t.payload, COALESCE(t.card_id, o.message_id), t.generation, o.status"


def _due(row: tuple) -> DueTimer:
    plugin, key, due_at, payload, card_id, generation, status = row
    return DueTimer(plugin, key, due_at, payload, card_id, generation, card_never_sent=status == FAILED)


async def next_due(tx: Tx) -> float | None:
    """When the earliest timer that can run is due (None: none is set). A timer waiting for its card's send
    is left out: the send's own retry time says when to look again."""
    row = await tx.one(
        f"SELECT min(t.due_at) FROM timers t {_CARD_SENT}", (SENT, FAILED))
    return row[0] if row else None


async def drop(tx: Tx, plugin: str, key: str, generation: str) -> None:
    """Remove the timer's row if it is still that setting (a timer that ran already, found again)."""
    await tx.run("DELETE FROM timers WHERE plugin = ? AND key = ? AND generation = ?", (plugin, key, generation))


async def runnable_timer(tx: Tx, plugin: str, key: str) -> DueTimer | None:
    """Timer `key` of `plugin` as if it were due now, when it can run (its card, if any, is sent); else None."""
    row = await tx.one(f"SELECT {_DUE_COLUMNS} FROM timers t {_CARD_SENT} AND t.plugin = ? AND t.key = ?",
                       (SENT, FAILED, plugin, key))
    return None if row is None else _due(row)


async def list_timers(tx: Tx) -> list[dict[str, Any]]:
    """Every timer set, earliest first (`bot.py timers`)."""
    rows = await tx.all(
        "SELECT t.plugin, t.key, t.due_at, t.card_id, t.outbox_id, o.status, o.message_id, t.payload, t.source "
        "FROM timers t LEFT JOIN outbox o ON o.id = t.outbox_id ORDER BY t.due_at, t.plugin, t.key")
    keys = ("plugin", "key", "due_at", "card_id", "outbox_id", "outbox_status", "sent_as", "payload", "set_by")
    return [dict(zip(keys, row)) for row in rows]
