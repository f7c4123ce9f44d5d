"""The SQL of one click: claim the delivery, lease the card, commit the change, record the outcome.

Every function takes a connection that is already inside a write transaction (see writer.run_batch)
and either completes or raises, so each click's changes land together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from .liveness import is_alive

WAIT_TURN_SECONDS = 0.5
"""A process waiting for a card keeps its place in line this long after its last try (then anyone may go)."""

RUNNING = "running"
DONE = "done"
INTERRUPTED = "interrupted"
FAILED = "failed"
TIMED_OUT = "timed out"


class VersionConflict(Exception):
    """The card changed since it was read: the compare-and-swap on its version failed."""


@dataclass(frozen=True, slots=True)
class StoredCard:
    """A card row: its JSON text and version."""

    card_json: str
    version: int


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery record: how far it got, which toast answered it, which version it produced."""

    delivery_id: str
    message_id: str
    status: str
    answer: str | None
    toast: str | None
    version: int | None


@dataclass(frozen=True, slots=True)
class Claim:
    """What claiming a click found: an earlier delivery of it, or the card (and whether we lease it)."""

    earlier: Delivery | None
    card: StoredCard | None
    leased: bool


@dataclass(frozen=True, slots=True)
class CardChange:
    """Everything one click commits: the new card (if any), its history row, state writes, the outcome."""

    delivery_id: str
    message_id: str
    holder: str
    lease_holder: str
    lease_until: float | None
    """None gives the card's lease back; a time keeps it (until then) for the next click queued here."""
    base_version: int | None
    card_json: str | None
    plugin: str | None
    button_type: str | None
    operator: str | None
    patch_json: str | None
    toast_json: str | None
    status: str
    detail: str | None
    state_writes: tuple[tuple[str, str, str, str | None], ...]
    """(plugin, message_id or "" for plugin-wide, key, JSON value or None to delete)"""
    state_additions: tuple[tuple[str, str, float], ...]
    """(plugin, key, amount) for plugin-wide atomic counters"""


def read_card(conn: sqlite3.Connection, message_id: str) -> StoredCard | None:
    """The stored card, or None."""
    row = conn.execute("SELECT card, version FROM cards WHERE message_id = ?", (message_id,)).fetchone()
    return StoredCard(row[0], row[1]) if row else None


def read_delivery(conn: sqlite3.Connection, delivery_id: str) -> Delivery | None:
    """The delivery record, or None."""
    row = conn.execute(
        "SELECT delivery_id, message_id, status, answer, toast, version FROM deliveries WHERE delivery_id = ?",
        (delivery_id,),
    ).fetchone()
    return Delivery(*row) if row else None


def claim_click(
    conn: sqlite3.Connection, delivery_id: str, message_id: str, holder: str, now: float,
    lease_holder: str | None, lease_until: float, keep_forever: bool = False,
) -> Claim:
    """Record the delivery as running (or find an earlier delivery of it) and, given a `lease_holder`
    (the process), lease the card for it. `keep_forever`: never prune this record (see retention.py)."""
    inserted = conn.execute(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (delivery_id) DO UPDATE SET holder = holder WHERE holder = excluded.holder RETURNING 1",
        (delivery_id, message_id, RUNNING, holder, now, 1 if keep_forever else None),
    ).fetchone()
    if inserted is None:  # an earlier delivery of the same click holds the record
        return Claim(read_delivery(conn, delivery_id), None, False)
    card = read_card(conn, message_id)
    leased = card is not None and lease_holder is not None and _take_lease(conn, message_id, lease_holder, now,
                                                                           lease_until)
    return Claim(None, card, leased)


def lease_card(
    conn: sqlite3.Connection, message_id: str, holder: str, now: float, lease_until: float
) -> StoredCard | None:
    """Lease the card for `holder` (a process) and return it, or None while another process has it."""
    if not _take_lease(conn, message_id, holder, now, lease_until):
        return None
    return read_card(conn, message_id)


def _take_lease(conn: sqlite3.Connection, message_id: str, holder: str, now: float, until: float) -> bool:
    """Take the card's lease for `holder`: when it is free and no other process is waiting its turn, or
    when `holder` has it already (kept for its next click). Otherwise put `holder` in line, and say no."""
    parameters = {"card": message_id, "holder": holder, "now": now, "until": until,
                  "wait_until": now + WAIT_TURN_SECONDS}
    taken = conn.execute(
        "INSERT INTO card_leases (message_id, holder, expires_at) VALUES (:card, :holder, :until) "
        "ON CONFLICT (message_id) DO UPDATE SET holder = :holder, expires_at = :until, "
        "waiter = CASE WHEN waiter = :holder THEN NULL ELSE waiter END "
        "WHERE (card_leases.holder = :holder AND card_leases.expires_at > :now) "
        "OR (card_leases.expires_at <= :now AND (waiter IS NULL OR waiter = :holder OR waiter_until <= :now)) "
        "RETURNING 1",
        parameters,
    ).fetchone()
    if taken is not None:
        return True
    owner, expires_at = conn.execute(
        "SELECT holder, expires_at FROM card_leases WHERE message_id = :card", parameters
    ).fetchone()
    if expires_at > now and not is_alive(_process_of(owner)):  # its holder died: take it over at once
        conn.execute("UPDATE card_leases SET holder = :holder, expires_at = :until, waiter = NULL "
                     "WHERE message_id = :card", parameters)
        return True
    conn.execute(
        "UPDATE card_leases SET waiter = :holder, waiter_until = :wait_until WHERE message_id = :card "
        "AND (waiter IS NULL OR waiter = :holder OR waiter_until <= :now)",
        parameters,
    )
    return False


def _process_of(holder: str | None) -> str | None:
    """A delivery's holder is `process-token/click-number`, a lease's the process token: the process part
    tells whether it is still alive."""
    return holder.rsplit("/", 1)[0] if holder else None


def commit_click(conn: sqlite3.Connection, change: CardChange, now: float) -> int | None:
    """Store the click's card change, history, state and outcome, and free the lease; returns the new version.

    Raises VersionConflict when the card moved past `base_version` (nothing is written then).
    """
    version = None
    if change.card_json is not None:
        if change.base_version is None:
            raise ValueError("a card change needs the version it was made from")
        version = change.base_version + 1
        updated = conn.execute(
            "UPDATE cards SET card = ?, version = ?, updated_at = ? WHERE message_id = ? AND version = ?",
            (change.card_json, version, now, change.message_id, change.base_version),
        ).rowcount
        if updated != 1:
            raise VersionConflict(f"card {change.message_id} is no longer at version {change.base_version}")
        conn.execute(
            "INSERT INTO history (message_id, version, made_by, plugin, button_type, operator, delivery_id, patch, "
            "created_at) VALUES (?, ?, 'plugin', ?, ?, ?, ?, ?, ?)",
            (change.message_id, version, change.plugin, change.button_type, change.operator,
             change.delivery_id, change.patch_json, now),
        )
    _write_state(conn, change)
    end_turn(conn, change.message_id, change.lease_holder, change.lease_until)
    _record_outcome(conn, change.delivery_id, change.holder, change.status, change.toast_json, change.detail,
                    change.plugin, version, now)
    return version


def _record_outcome(conn: sqlite3.Connection, delivery_id: str, holder: str, status: str, toast_json: str | None,
                    detail: str | None, plugin: str | None, version: int | None, now: float) -> None:
    """How the click ended; its toast is the answer's unless a "processing" answer went out first."""
    conn.execute(
        "UPDATE deliveries SET status = ?, toast = CASE WHEN answer IS NULL THEN ? ELSE toast END, plugin = ?, "
        "version = ?, detail = ?, finished_at = ?, answer = COALESCE(answer, 'result') "
        "WHERE delivery_id = ? AND holder = ?",
        (status, toast_json, plugin, version, detail, now, delivery_id, holder),
    )


def _write_state(conn: sqlite3.Connection, change: CardChange) -> None:
    for plugin, scope, key, value in change.state_writes:
        if value is None:
            conn.execute("DELETE FROM plugin_state WHERE plugin = ? AND message_id = ? AND key = ?",
                         (plugin, scope, key))
        else:
            conn.execute(
                "INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = excluded.value",
                (plugin, scope, key, value),
            )
    for plugin, key, amount in change.state_additions:
        conn.execute(
            "INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, '', ?, ?) "
            "ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = json(value + excluded.value)",
            (plugin, key, json.dumps(amount)),
        )


def end_turn(conn: sqlite3.Connection, message_id: str, holder: str, keep_until: float | None) -> None:
    """At the end of a click's turn: give the card's lease back, or keep it (until `keep_until`)."""
    if keep_until is None:
        release_lease(conn, message_id, holder)
    else:
        conn.execute("UPDATE card_leases SET expires_at = ? WHERE message_id = ? AND holder = ?",
                     (keep_until, message_id, holder))


def release_lease(conn: sqlite3.Connection, message_id: str, holder: str | None) -> None:
    """Free the card's lease if `holder` still holds it (the row stays: it remembers who waits next)."""
    conn.execute("UPDATE card_leases SET expires_at = 0 WHERE message_id = ? AND holder = ?", (message_id, holder))


def finish_delivery(conn: sqlite3.Connection, delivery_id: str, message_id: str, holder: str, status: str,
                    toast_json: str | None, detail: str | None, plugin: str | None, now: float,
                    lease_holder: str | None = None, keep_until: float | None = None) -> None:
    """Record the outcome of a click that changed nothing (unknown card, stale, failed plugin, …), and
    end its turn on the card when it had one (`lease_holder`): see `end_turn`."""
    _record_outcome(conn, delivery_id, holder, status, toast_json, detail, plugin, None, now)
    if lease_holder is not None:
        end_turn(conn, message_id, lease_holder, keep_until)


def mark_answered_early(conn: sqlite3.Connection, delivery_id: str, message_id: str, holder: str,
                        toast_json: str, now: float, keep_forever: bool = False) -> str:
    """Record that the click was answered with `toast_json` before it finished.

    Returns "marked", "finished" (it finished meanwhile) or "other" (the delivery belongs to an
    earlier copy of this click). The click may not have claimed its delivery yet: the row is created.
    """
    conn.execute(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
        (delivery_id, message_id, RUNNING, holder, now, 1 if keep_forever else None),
    )
    owner, status = conn.execute(
        "SELECT holder, status FROM deliveries WHERE delivery_id = ?", (delivery_id,)
    ).fetchone()
    if owner != holder:
        return "other"
    if status != RUNNING:
        return "finished"
    conn.execute("UPDATE deliveries SET answer = 'processing', toast = ? WHERE delivery_id = ?",
                 (toast_json, delivery_id))
    return "marked"


def recover_interrupted(conn: sqlite3.Connection, now: float) -> list[str]:
    """Mark deliveries whose process died mid-click as interrupted and free their leases; returns their ids."""
    interrupted = []
    for delivery_id, holder in conn.execute(
        "SELECT delivery_id, holder FROM deliveries WHERE status = ?", (RUNNING,)
    ).fetchall():
        if not is_alive(_process_of(holder)):
            interrupted.append(delivery_id)
            conn.execute(
                "UPDATE deliveries SET status = ?, detail = 'the bot process stopped before the plugin finished', "
                "finished_at = ? WHERE delivery_id = ?",
                (INTERRUPTED, now, delivery_id),
            )
    for message_id, holder in conn.execute(
        "SELECT message_id, holder FROM card_leases WHERE expires_at > ?", (now,)
    ).fetchall():
        if not is_alive(_process_of(holder)):
            release_lease(conn, message_id, holder)
    return interrupted

