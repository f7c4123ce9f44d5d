"""The SQL of one click: claim the delivery, take the card's turn, commit the change, record the outcome.

Every function takes a `Tx` that is already inside a write transaction (see writer.run_batch and
postgres.py) and either completes or raises, so each click's changes land together or not at all.
The same functions run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from .effects import Effects, write_effects
from .tx import POSTGRES, Tx

WAIT_TURN_SECONDS = 0.5
"""A process waiting for a card keeps its place in line this long after its last try (then anyone may go)."""
TURN_CHANNEL = "cardbot_turns"
"""PostgreSQL: the NOTIFY channel on which a card's released turn wakes the process waiting for it."""

RUNNING = "running"
DONE = "done"
INTERRUPTED = "interrupted"
FAILED = "failed"
TIMED_OUT = "timed out"


class VersionConflict(Exception):
    """The card changed since it was read: the compare-and-swap on its version failed."""


class TurnLost(Exception):
    """The click's delivery is no longer this process's running click (it was recorded interrupted, as
    happens to a process other hosts took for dead): nothing of the click is written."""


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


StateRows = tuple[tuple[str, str, str], ...]
"""A plugin's committed state as (scope, key, JSON value): scope is the message id, or "" for plugin-wide."""


@dataclass(frozen=True, slots=True)
class Claim:
    """What claiming a click found: an earlier delivery of it, or the card (and whether its turn is ours,
    with the owning plugin's state as it stood when the turn began)."""

    earlier: Delivery | None
    card: StoredCard | None
    leased: bool
    state: StateRows = ()


@dataclass(frozen=True, slots=True)
class CardChange:
    """Everything one click commits: the new card (if any), its history row, state writes, the outcome."""

    delivery_id: str
    message_id: str
    holder: str
    """The click's holder id (its delivery's and its card's lease)."""
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
    effects: Effects | None = None
    """Messages to send and timers to set, committed with the change (see effects.py)."""
    hand_to: str | None = None
    """The next click queued for the card in this process: the turn goes straight to it (see `end_turn`)."""
    hand_until: float = 0.0
    hand_despite_waiter: bool = False


@dataclass(frozen=True, slots=True)
class Committed:
    """A committed click: the card's new version (None: unchanged) and whether its turn was handed on."""

    version: int | None
    handed: bool


async def read_card(tx: Tx, message_id: str) -> StoredCard | None:
    """The stored card, or None."""
    row = await tx.one("SELECT card, version FROM cards WHERE message_id = ?", (message_id,))
    return StoredCard(row[0], row[1]) if row else None


async def read_delivery(tx: Tx, delivery_id: str) -> Delivery | None:
    """The delivery record, or None."""
    row = await tx.one(
        "SELECT delivery_id, message_id, status, answer, toast, version FROM deliveries WHERE delivery_id = ?",
        (delivery_id,),
    )
    return Delivery(*row) if row else None


async def read_state(tx: Tx, plugin: str, message_id: str) -> StateRows:
    """The plugin's state for this card and its plugin-wide state, as committed now."""
    rows = await tx.all("SELECT message_id, key, value FROM plugin_state WHERE plugin = ? AND message_id IN (?, '')",
                        (plugin, message_id))
    return tuple((scope, key, value) for scope, key, value in rows)


async def read_state_value(tx: Tx, plugin: str, scope: str, key: str) -> str | None:
    """One committed state value (JSON text), or None."""
    row = await tx.one("SELECT value FROM plugin_state WHERE plugin = ? AND message_id = ? AND key = ?",
                       (plugin, scope, key))
    return row[0] if row else None


async def read_state_values(tx: Tx, plugin: str, scope: str, keys: list[str]) -> dict[str, str]:
    """Committed JSON texts of `keys` (those that have one), in one query."""
    marks = ", ".join("?" * len(keys))
    return dict(await tx.all(f"SELECT key, value FROM plugin_state WHERE plugin = ? AND message_id = ? "
                             f"AND key IN ({marks})", (plugin, scope, *keys)))


async def read_state_items(tx: Tx, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]:
    """Committed (key, JSON text) pairs whose key starts with `prefix`."""
    return [(key, value) for key, value in await tx.all(
        "SELECT key, value FROM plugin_state WHERE plugin = ? AND message_id = ? AND key >= ? AND key < ?",
        (plugin, scope, prefix, prefix + "\U0010ffff"))]


async def claim_click(
    tx: Tx, delivery_id: str, message_id: str, holder: str, now: float,
    lease_holder: str | None, lease_until: float, plugin: str | None, keep_forever: bool = False,
) -> Claim:
    """Record the delivery as running (or find an earlier delivery of it) and, given a `lease_holder`
    (the click's holder id), take the card's turn for it, reading `plugin`'s state. `keep_forever`: never prune
    this record (see retention.py)."""
    inserted = await tx.one(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (delivery_id) DO UPDATE SET holder = deliveries.holder "
        "WHERE deliveries.holder = excluded.holder RETURNING 1",
        (delivery_id, message_id, RUNNING, holder, now, 1 if keep_forever else None),
    )
    if inserted is None:  # an earlier delivery of the same click holds the record
        return Claim(await read_delivery(tx, delivery_id), None, False)
    leased = None if lease_holder is None else await lease_card(tx, message_id, lease_holder, now, lease_until, plugin)
    return leased or Claim(None, await read_card(tx, message_id), False)


async def lease_card(tx: Tx, message_id: str, holder: str, now: float, lease_until: float, plugin: str | None
                     ) -> Claim | None:
    """Take the card's turn for `holder` (a click) and return the card (and `plugin`'s state, if named),
    or None while another process has it. A card that does not exist gets no turn (leased False)."""
    if not await _take_lease(tx, message_id, holder, now, lease_until):
        return None
    turn = await read_turn(tx, message_id, plugin)
    if not turn.leased:  # no such card: nothing to take a turn on
        await release_lease(tx, message_id, holder)
    return turn


async def read_turn(tx: Tx, message_id: str, plugin: str | None) -> Claim:
    """What a click whose turn it is works from: the card (and `plugin`'s state, if named); leased False
    when there is no such card. Read only once the lease is ours: on PostgreSQL each statement sees what was
    committed when it began, so a card read before the lease could predate the commit that gave it back."""
    card = await read_card(tx, message_id)
    if card is None:
        return Claim(None, None, False)
    return Claim(None, card, True, await read_state(tx, plugin, message_id) if plugin else ())


async def lease_may_be_free(tx: Tx, message_id: str, holder: str, now: float) -> bool:
    """Whether `_take_lease` could succeed for `holder` now (a read: waiting clicks look before they write)."""
    row = await tx.one("SELECT expires_at, waiter, waiter_until FROM card_leases WHERE message_id = ?", (message_id,))
    return row is None or row[0] <= now and (row[1] is None or row[1] == holder or row[2] <= now)


async def _take_lease(tx: Tx, message_id: str, holder: str, now: float, until: float) -> bool:
    """Take the card's lease for `holder`: when it is free and no other process is waiting its turn.
    Otherwise put `holder` in line (it goes next when the lease is given back), and say no."""
    parameters = {"card": message_id, "holder": holder, "now": now, "until": until,
                  "wait_until": now + WAIT_TURN_SECONDS}
    taken = await tx.one(
        "INSERT INTO card_leases (message_id, holder, expires_at) VALUES (:card, :holder, :until) "
        "ON CONFLICT (message_id) DO UPDATE SET holder = :holder, expires_at = :until, "
        "waiter = CASE WHEN card_leases.waiter = :holder THEN NULL ELSE card_leases.waiter END "
        "WHERE card_leases.expires_at <= :now AND (card_leases.waiter IS NULL OR card_leases.waiter = :holder "
        "OR card_leases.waiter_until <= :now) "
        "RETURNING 1",
        parameters,
    )
    if taken is not None:
        return True
    await tx.run(
        "UPDATE card_leases SET waiter = :holder, waiter_until = :wait_until WHERE message_id = :card "
        "AND (waiter IS NULL OR waiter = :holder OR waiter_until <= :now)",
        parameters,
    )
    return False


async def commit_click(tx: Tx, change: CardChange, now: float) -> Committed:
    """Store the click's card change, history, state and outcome, and end its turn (`end_turn`).

    Raises VersionConflict when the card moved past `base_version`, TurnLost when the delivery is no
    longer this process's running click (nothing is written then).
    """
    version = None
    if change.card_json is not None:
        if change.base_version is None:
            raise ValueError("a card change needs the version it was made from")
        version = change.base_version + 1
        updated = await tx.run(
            "UPDATE cards SET card = ?, version = ?, updated_at = ? WHERE message_id = ? AND version = ?",
            (change.card_json, version, now, change.message_id, change.base_version),
        )
        if updated != 1:
            raise VersionConflict(f"card {change.message_id} is no longer at version {change.base_version}")
        await tx.run(
            "INSERT INTO history (message_id, version, made_by, plugin, button_type, operator, delivery_id, patch, "
            "created_at) VALUES (?, ?, 'plugin', ?, ?, ?, ?, ?, ?)",
            (change.message_id, version, change.plugin, change.button_type, change.operator,
             change.delivery_id, change.patch_json, now),
        )
    await write_state(tx, change.state_writes, change.state_additions)
    if change.effects:
        await write_effects(tx, change.effects, now)
    if not await _record_outcome(tx, change.delivery_id, change.holder, change.status, change.toast_json,
                                 change.detail, change.plugin, version, now):
        raise TurnLost(f"click {change.delivery_id} was recorded interrupted before it could commit")
    handed = await end_turn(tx, change.message_id, change.holder, change.hand_to, change.hand_until,
                            change.hand_despite_waiter, now)
    return Committed(version, handed)


async def _record_outcome(tx: Tx, delivery_id: str, holder: str, status: str, toast_json: str | None,
                          detail: str | None, plugin: str | None, version: int | None, now: float) -> bool:
    """How the click ended; its toast is the answer's unless a "processing" answer went out first.
    False when the delivery is no longer `holder`'s running click."""
    return await tx.run(
        "UPDATE deliveries SET status = ?, toast = CASE WHEN answer IS NULL THEN ? ELSE toast END, plugin = ?, "
        "version = ?, detail = ?, finished_at = ?, answer = COALESCE(answer, 'result') "
        "WHERE delivery_id = ? AND holder = ? AND status = ?",
        (status, toast_json, plugin, version, detail, now, delivery_id, holder, RUNNING),
    ) == 1


async def write_state(tx: Tx, writes: tuple[tuple[str, str, str, str | None], ...],
                       additions: tuple[tuple[str, str, float], ...]) -> None:
    """State writes and counter additions, in key order (so concurrent commits on PostgreSQL lock rows in
    one order and cannot deadlock)."""
    for plugin, scope, key, value in sorted(writes, key=lambda write: write[:3]):
        if value is None:
            await tx.run("DELETE FROM plugin_state WHERE plugin = ? AND message_id = ? AND key = ?",
                         (plugin, scope, key))
        else:
            await tx.run(
                "INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = excluded.value",
                (plugin, scope, key, value),
            )
    add = ("CAST(CAST(plugin_state.value AS DOUBLE PRECISION) + CAST(excluded.value AS DOUBLE PRECISION) AS TEXT)"
           if tx.dialect == POSTGRES else "json(plugin_state.value + excluded.value)")
    for plugin, key, amount in sorted(additions):
        await tx.run(
            "INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, '', ?, ?) "
            f"ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = {add}",
            (plugin, key, _number(amount)),
        )


async def put_state(tx: Tx, plugin: str, scope: str, items: tuple[tuple[str, str], ...]) -> None:
    """Store state values (key, JSON text) outside a click."""
    await write_state(tx, tuple((plugin, scope, key, value) for key, value in items), ())


def _number(amount: float) -> str:
    """A counter amount as JSON text."""
    return str(int(amount)) if float(amount).is_integer() else repr(float(amount))


async def end_turn(tx: Tx, message_id: str, holder: str, hand_to: str | None, until: float, despite_waiter: bool,
                   now: float) -> bool:
    """Hand the card's turn to `hand_to` (the next click queued in the same process, so a hot card does not
    change hands on every click), unless a click of another process waits for it and not `despite_waiter`;
    else give it back. True when handed on."""
    if hand_to is not None and await tx.run(
        "UPDATE card_leases SET holder = ?, expires_at = ? WHERE message_id = ? AND holder = ? "
        "AND (? OR waiter IS NULL OR waiter_until <= ?)",
        (hand_to, until, message_id, holder, despite_waiter, now),
    ):
        return True
    await release_lease(tx, message_id, holder)
    return False


async def release_lease(tx: Tx, message_id: str, holder: str | None) -> None:
    """Give the card's turn back if `holder` still has it (the row stays: it remembers who waits next).
    On PostgreSQL the process waiting in line is woken (NOTIFY, sent when the transaction commits)."""
    row = await tx.one("UPDATE card_leases SET expires_at = 0 WHERE message_id = ? AND holder = ? RETURNING waiter",
                       (message_id, holder))
    if row is not None and row[0] is not None and tx.dialect == POSTGRES:
        await tx.one("SELECT pg_notify(?, ?)", (TURN_CHANNEL, message_id))


async def finish_delivery(tx: Tx, delivery_id: str, message_id: str, holder: str, status: str,
                          toast_json: str | None, detail: str | None, plugin: str | None, now: float,
                          lease_holder: str | None = None, effects: Effects | None = None,
                          state_writes: tuple[tuple[str, str, str, str | None], ...] = (),
                          state_additions: tuple[tuple[str, str, float], ...] = ()) -> bool:
    """Record the outcome of a delivery that changed no card (unknown card, stale, failed plugin, a message,
    an event, a timer without a card), with its `effects` and `state_writes`, and give the card's turn back
    when it had it (`lease_holder`). False, with nothing written, when the delivery is no longer `holder`'s
    running one (it was recorded interrupted)."""
    if not await _record_outcome(tx, delivery_id, holder, status, toast_json, detail, plugin, None, now):
        if lease_holder is not None:
            await release_lease(tx, message_id, lease_holder)
        return False
    await write_state(tx, state_writes, state_additions)
    if effects:
        await write_effects(tx, effects, now)
    if lease_holder is not None:
        await release_lease(tx, message_id, lease_holder)
    return True


async def mark_answered_early(tx: Tx, delivery_id: str, message_id: str, holder: str,
                              toast_json: str, now: float, keep_forever: bool = False) -> str:
    """Record that the click was answered with `toast_json` before it finished.

    Returns "marked", "finished" (it finished meanwhile) or "other" (the delivery belongs to an
    earlier copy of this click). The click may not have claimed its delivery yet: the row is created.
    """
    await tx.run(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
        (delivery_id, message_id, RUNNING, holder, now, 1 if keep_forever else None),
    )
    row = await tx.one("SELECT holder, status FROM deliveries WHERE delivery_id = ?", (delivery_id,))
    assert row is not None
    owner, status = row
    if owner != holder:
        return "other"
    if status != RUNNING:
        return "finished"
    await tx.run("UPDATE deliveries SET answer = 'processing', toast = ? WHERE delivery_id = ?",
                 (toast_json, delivery_id))
    return "marked"
