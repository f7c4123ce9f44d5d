"""What a click, message, event or timer asks to happen after it: messages to send (the outbox) and timers to
set or cancel, written in the same transaction as its outcome, so they happen exactly when it commits.

    effects = Effects(source="v2:ev_1", outbox=(OutboxEntry(...),), timers=(TimerChange(...),))
    await write_effects(tx, effects, now)       # inside commit_click / finish_delivery

The outbox is sent by the dispatcher (later/dispatcher.py) after the commit: see outbox.py for its rows'
life, timers.py for timers'.
"""

from __future__ import annotations

from dataclasses import dataclass

from .tx import Tx

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SEND = "send"
REPLY = "reply"
UPDATE = "update"
"""Outbox kinds: a new message to a receiver, a reply to a message, a push of a stored card as it is now."""


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One message to send after the commit. `id` is also the Lark `uuid` of the send (a resend after a
    crash posts nothing new). `receive_id` is the message replied to for a reply, the card for an update."""

    id: str
    plugin: str | None
    kind: str
    receive_id_type: str | None
    receive_id: str
    msg_type: str | None = None
    content: str | None = None
    """The message content as JSON text: a card (stored as version 1 of the sent message), or {"text": …}."""
    state: str | None = None
    """JSON of the state the sent card starts with (its plugin's `state.card`), or None."""
    in_thread: bool = False


@dataclass(frozen=True, slots=True)
class TimerChange:
    """Set (`due_at` given) or cancel (`due_at` None) `plugin`'s timer `key`. A timer may target a card,
    named by id or by the outbox entry that will send it (it then waits for that send)."""

    plugin: str
    key: str
    due_at: float | None
    payload: str | None = None
    card_id: str | None = None
    outbox_id: str | None = None
    generation: str | None = None
    """A fresh id per setting: a timer's run is `timer:<plugin>:<key>:<generation>`, so a reset timer runs again."""


@dataclass(frozen=True, slots=True)
class Effects:
    """Everything one delivery asks for, and (for a timer's own run) which timer it was."""

    source: str
    """The delivery id that asked (recorded on each outbox row)."""
    source_card: str | None = None
    outbox: tuple[OutboxEntry, ...] = ()
    timers: tuple[TimerChange, ...] = ()
    ran_timer: tuple[str, str, str] | None = None
    """(plugin, key, generation) of the timer this delivery ran: removed first, so setting it again stays."""

    def __bool__(self) -> bool:
        return bool(self.outbox or self.timers or self.ran_timer)


async def write_effects(tx: Tx, effects: Effects, now: float) -> None:
    """Insert the outbox entries and apply the timer changes (inside the delivery's own transaction)."""
    if effects.ran_timer is not None:
        plugin, key, generation = effects.ran_timer
        await tx.run("DELETE FROM timers WHERE plugin = ? AND key = ? AND generation = ?", (plugin, key, generation))
    for entry in effects.outbox:
        await tx.run(
            "INSERT INTO outbox (id, plugin, source, source_card, kind, receive_id_type, receive_id, msg_type, "
            "content, state, in_thread, status, attempts, next_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            (entry.id, entry.plugin, effects.source, effects.source_card, entry.kind, entry.receive_id_type,
             entry.receive_id, entry.msg_type, entry.content, entry.state, int(entry.in_thread), PENDING, now, now),
        )
    for change in sorted(effects.timers, key=lambda change: (change.plugin, change.key)):
        if change.due_at is None:
            await tx.run("DELETE FROM timers WHERE plugin = ? AND key = ?", (change.plugin, change.key))
            continue
        await tx.run(
            "INSERT INTO timers (plugin, key, due_at, payload, card_id, outbox_id, generation, source, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plugin, key) DO UPDATE SET due_at = excluded.due_at, "
            "payload = excluded.payload, card_id = excluded.card_id, outbox_id = excluded.outbox_id, "
            "generation = excluded.generation, source = excluded.source, created_at = excluded.created_at",
            (change.plugin, change.key, change.due_at, change.payload, change.card_id, change.outbox_id,
             change.generation, effects.source, now),
        )
