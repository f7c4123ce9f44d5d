"""`Store`: the one storage interface of cardbot; every reader and writer of storage goes through it.

    async with await open_store(settings) as store:     # SQLite file or PostgreSQL URL ([bot] database)
        claim = await store.claim_click(...)            # each write committed when it returns
        shown = await store.show_card("om_1", history=True)
                                                        # closed at the end of the block

The SQL lives in clicks.py, cards.py, liveness.py and retention.py, written once for both backends
(tx.py); a backend (sqlite.py, postgres.py) says only how a function reaches its database: `write`
(one transaction, committed before it returns), `read` (committed data now), and how a process waits
for a card whose turn another process has (`wait_for_turn`).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, TypeVar

from ..state import StateReader, StateSnapshot
from . import cards, clicks, liveness, outbox, retention, timers
from .clicks import CardChange, Claim, Committed, Delivery, StateRows, StoredCard
from .effects import Effects, write_effects
from .outbox import OutboxRow
from .timers import DueTimer
from .tx import StorageFunction, Tx

T = TypeVar("T")

DATA_TABLES = ("cards", "history", "deliveries", "plugin_state", "pushes", "card_leases", "outbox", "timers")
"""The tables that hold what cardbot stored (not `processes`, which changes every few seconds)."""


class Store(ABC):
    """Cards, deliveries, card turns, plugin state and live processes of one database."""

    location: str
    """The database as an administrator names it (a path, or a URL without its password)."""

    # -- how a backend reaches its database -------------------------------------------------------

    @abstractmethod
    async def write(self, function: StorageFunction[T], *args: Any) -> T:
        """Run `function(tx, *args)` in a write transaction; its result once committed. Raises StoreBusy
        (nothing written) when the database cannot take it."""

    @abstractmethod
    async def read(self, function: StorageFunction[T], *args: Any) -> T:
        """Run `function(tx, *args)` on committed data, writing nothing."""

    @abstractmethod
    def write_blocking(self, function: StorageFunction[T], *args: Any) -> T:
        """`write` from a plain thread (a sync plugin, never the event loop); blocks until committed."""

    preloads_state: bool
    """True when a plugin's state is read with the card at the start of a click's turn (PostgreSQL: a read
    during the click would be a network call); False when `state_reader` reads it live (SQLite)."""

    turn_delays: tuple[float, float]
    """First and longest wait (s) between tries for a card whose turn another process has."""

    @abstractmethod
    async def wait_for_turn(self, message_id: str, delay: float, since: float) -> None:
        """Wait at most `delay` s for another process to give the card's turn back (a give-back after
        `since`, a time.monotonic() taken before the try that failed, ends the wait at once)."""

    @abstractmethod
    async def health(self) -> str:
        """Whether writes work now: "ok", "busy", "unreachable", or a fault (faults.UNUSABLE)."""

    @abstractmethod
    async def close(self) -> None:
        """Finish queued writes and close every connection."""

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the click path ------------------------------------------------------------------------

    async def claim_click(self, delivery_id: str, message_id: str, holder: str, *, lease_holder: str | None,
                          lease_seconds: float, plugin: str | None = None, keep_forever: bool = False) -> Claim:
        """Record the delivery (or find an earlier one) and, given a `lease_holder`, try to take the card's
        turn, reading `plugin`'s state. `keep_forever` keeps its record from ever being pruned."""
        now = time.time()
        return await self.write(clicks.claim_click, delivery_id, message_id, holder, now, lease_holder,
                                now + lease_seconds, plugin, keep_forever)

    async def lease_card(self, message_id: str, holder: str, *, lease_seconds: float, plugin: str | None = None
                         ) -> Claim | None:
        """Take the card's turn and return the card with `plugin`'s state, or None while another process has it."""
        now = time.time()
        return await self.write(clicks.lease_card, message_id, holder, now, now + lease_seconds, plugin)

    async def lease_may_be_free(self, message_id: str, holder: str) -> bool:
        """Whether `lease_card` could give `holder` the card now (a read, no lock taken)."""
        return await self.read(clicks.lease_may_be_free, message_id, holder, time.time())

    async def commit_click(self, change: CardChange) -> Committed:
        """Commit a click's change and end its turn: the new version (None: card unchanged) and whether
        the turn was handed on. Raises VersionConflict or TurnLost with nothing written."""
        return await self.write(clicks.commit_click, change, time.time())

    async def finish_click(self, delivery_id: str, message_id: str, holder: str, status: str,
                           toast_json: str | None, detail: str | None, plugin: str | None = None, *,
                           lease_holder: str | None = None, effects: Effects | None = None,
                           state_writes: tuple[tuple[str, str, str, str | None], ...] = (),
                           state_additions: tuple[tuple[str, str, float], ...] = ()) -> bool:
        """Record a delivery that changed no card (with what it asks to send and set, and its state writes),
        giving the card's turn back if it had it (`lease_holder`). False when it was recorded interrupted."""
        return await self.write(clicks.finish_delivery, delivery_id, message_id, holder, status, toast_json, detail,
                                plugin, time.time(), lease_holder, effects, state_writes, state_additions)

    async def release_lease(self, message_id: str, holder: str) -> None:
        """Give the card's turn back if `holder` still has it."""
        await self.write(clicks.release_lease, message_id, holder)

    async def answered_early(self, delivery_id: str, message_id: str, holder: str, toast_json: str, *,
                             keep_forever: bool = False) -> str:
        """Record that the click was answered before its plugin finished: "marked", "finished" or "other"."""
        return await self.write(clicks.mark_answered_early, delivery_id, message_id, holder, toast_json,
                                time.time(), keep_forever)

    async def delivery(self, delivery_id: str) -> Delivery | None:
        """The delivery record as committed now."""
        return await self.read(clicks.read_delivery, delivery_id)

    async def card(self, message_id: str) -> StoredCard | None:
        """The card as committed now."""
        return await self.read(clicks.read_card, message_id)

    async def turn(self, message_id: str, plugin: str | None) -> Claim:
        """The card (and `plugin`'s state, if named) for a click handed the card's turn (one read)."""
        return await self.read(clicks.read_turn, message_id, plugin)

    def state_reader(self, preloaded: StateRows) -> StateReader:
        """Where a click's plugin state is read from: the rows read with the card (`preloads_state`)."""
        return StateSnapshot(preloaded)

    async def state(self, plugin: str, message_id: str) -> StateRows:
        """`plugin`'s committed state for the card and plugin-wide, as (scope, key, JSON) rows."""
        return await self.read(clicks.read_state, plugin, message_id)

    async def put_state(self, plugin: str, scope: str, values: dict[str, str]) -> None:
        """Store `plugin`'s state outside any click (an import, a test's starting point): key → JSON text,
        under `scope` (a message id, or "" for plugin-wide)."""
        await self.write(clicks.put_state, plugin, scope, tuple(values.items()))

    # -- after the commit: the outbox and timers (outbox.py, timers.py) ----------------------------

    async def commit_effects(self, effects: Effects) -> None:
        """Commit messages to send and timer changes on their own (a plugin's start-up)."""
        await self.write(write_effects, effects, time.time())

    async def take_outbox(self, holder: str, limit: int) -> list[OutboxRow]:
        """Pending outbox rows due now, marked taken by `holder` (the dispatcher role's holder)."""
        return await self.write(outbox.take_due, holder, time.time(), limit)

    async def record_sent(self, row: OutboxRow, message_id: str) -> bool:
        """The row was sent as `message_id` (a card is stored as its version 1); False if recorded already."""
        return await self.write(outbox.record_sent, row, message_id, time.time())

    async def record_retry(self, row: OutboxRow, delay: float, detail: str) -> None:
        """A transient failure: the row is due again in `delay` seconds."""
        await self.write(outbox.record_retry, row, time.time() + delay, detail)

    async def record_failed(self, row: OutboxRow, detail: str) -> None:
        """The row failed for good."""
        await self.write(outbox.record_failed, row, detail, time.time())

    async def due_timers(self, limit: int) -> list[DueTimer]:
        """Timers due now (whose card, if they wait for one, has been sent), earliest first."""
        return await self.read(timers.due_timers, time.time(), limit)

    async def drop_timer(self, timer: DueTimer) -> None:
        """Remove a timer that already ran (its delivery was found recorded)."""
        await self.write(timers.drop, timer.plugin, timer.key, timer.generation)

    async def list_timers(self) -> list[dict[str, Any]]:
        """Every timer set, earliest first."""
        return await self.read(timers.list_timers)

    async def runnable_timer(self, plugin: str, key: str) -> DueTimer | None:
        """Timer `key` of `plugin`, to run now however far off it is due (None: not set, or its card unsent)."""
        return await self.read(timers.runnable_timer, plugin, key)

    async def list_outbox(self) -> list[dict[str, Any]]:
        """Every outbox row, oldest first, content and state decoded."""
        return await self.read(outbox.list_outbox)

    async def next_work_at(self) -> float | None:
        """When the earliest pending outbox row or timer is due (None: nothing is waiting)."""
        due = [at for at in (await self.read(outbox.next_due), await self.read(timers.next_due)) if at is not None]
        return min(due) if due else None

    async def hold_role(self, role: str, holder: str, seconds: float) -> bool:
        """Take or keep `role` for `seconds`: True when `holder` has it."""
        now = time.time()
        return await self.write(liveness.hold_role, role, holder, now, now + seconds)

    async def release_role(self, role: str, holder: str) -> None:
        """Give `role` up, if `holder` has it."""
        await self.write(liveness.release_role, role, holder)

    # -- live processes (liveness.py) ----------------------------------------------------------

    async def beat(self, token: str, alive_seconds: float) -> tuple[bool, list[str]]:
        """Say this process lives for `alive_seconds` more (False first: it had been taken for dead), and
        record the running clicks of dead processes interrupted, freeing their cards (their delivery ids)."""
        now = time.time()
        return await self.write(liveness.renew, token, now, now + alive_seconds)

    async def leave(self, token: str) -> list[str]:
        """This process stops: its running clicks are recorded interrupted; their delivery ids."""
        return await self.write(liveness.leave, token, time.time())

    # -- cards sent or put, what was pushed to Lark, retention -------------------------------------

    async def put_card(self, message_id: str, card_json: str, made_by: str = "put") -> int:
        """Store the card as the message's next version (1 for a new message); returns it."""
        return await self.write(cards.put_card, message_id, card_json, made_by, time.time())

    async def put_sent_card(self, message_id: str, card_json: str, state: InitialState = ()) -> int:
        """Store a card just sent as version 1 with the state it starts with ((plugin, key, JSON) per value),
        unless the message is stored already; returns its version."""
        return await self.write(cards.put_sent_card, message_id, card_json, time.time(), state)

    def put_sent_card_blocking(self, message_id: str, card_json: str, state: InitialState = ()) -> int:
        """`put_sent_card` for a plain thread (never the event loop)."""
        return self.write_blocking(cards.put_sent_card, message_id, card_json, time.time(), state)

    async def show_card(self, message_id: str, *, history: bool = False) -> dict[str, Any] | None:
        """The card as JSON-ready data (with its history and clicks), or None."""
        return await self.read(cards.show_card, message_id, history)

    async def record_push(self, message_id: str, version: int, delivery_id: str | None, method: str,
                          accepted: bool, detail: str | None = None) -> None:
        """Record a push of `version` to Lark and whether Lark accepted it."""
        await self.write(cards.record_push, message_id, version, delivery_id, method, accepted, detail, time.time())

    async def prune(self, dedupe_seconds: float, history_seconds: float | None, card_seconds: float | None = None
                    ) -> dict[str, int]:
        """Delete expired delivery records, history, leases, sent outbox rows and (with `card_seconds`) cards,
        batch by batch; returns rows deleted per table."""
        total: dict[str, int] = {}
        while True:
            deleted = await self.write(retention.prune_batch, time.time(), dedupe_seconds, history_seconds,
                                       card_seconds)
            for table, count in deleted.items():
                total[table] = total.get(table, 0) + count
            if not any(deleted.values()):
                return total

    async def table_rows(self) -> dict[str, list[tuple]]:
        """Every row of every data table, sorted (for tests that prove nothing was stored)."""
        return await self.read(_table_rows)


InitialState = tuple[tuple[str, str, str], ...]
"""A sent card's starting state: (plugin, key, JSON text) per value."""


async def _table_rows(tx: Tx) -> dict[str, list[tuple]]:
    return {table: sorted((tuple(row) for row in await tx.all(f"SELECT * FROM {table}")), key=repr)
            for table in DATA_TABLES}
