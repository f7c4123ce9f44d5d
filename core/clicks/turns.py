"""Whose turn it is on a card: one click at a time per card, across tasks, worker processes and hosts.

    async with turns.card(click, plugin="vote") as turn:
        if turn.earlier: ...                    # a redelivery: no turn was taken
        if turn.card is None: ...               # unknown card (or turn.timed_out: waited past the hard limit)
        version = await turns.commit(turn, change)   # stores the click and ends the turn in one write

In this process, clicks on one card queue on an asyncio lock; a click queued behind another claims its
delivery meanwhile, so a redelivery is answered without waiting in line. Across processes and hosts a
lease row in the database, held under the click's own holder id, decides: taken in the click's claim
(the same write reads the card, and on PostgreSQL the plugin's state), given back with its commit, or
handed straight to the next click queued for the card in this process (at most MAX_TURNS in a row while
another process waits), so a hot card does not change hands on every click. A process that finds the
card taken puts itself in line (store/clicks.py) and waits to be woken (PostgreSQL: NOTIFY) or looks
again shortly (SQLite). A turn whose click ended without giving it back (an exception, a plugin thread
still running) is given back when the block exits. The lease of a process that dies is freed by
whichever live process next sweeps (store/liveness.py), within `[bot] host_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import AsyncIterator, Coroutine, Protocol

from ..errors import StoreBusy
from ..store import CardChange, Delivery, Store, StoredCard
from ..store.clicks import WAIT_TURN_SECONDS, Claim, StateRows
from ..store.effects import Effects


class Click(Protocol):
    """What takes a turn on a card: a click (pipeline.py), or a timer's run that targets a card.

    `holder` is its holder id, on its delivery and its card's lease (`process-token/number`); `started` is
    time.monotonic() when it began (it waits for the card at most the hard limit from then)."""

    @property
    def card_id(self) -> str: ...

    @property
    def delivery_id(self) -> str: ...

    @property
    def holder(self) -> str: ...

    @property
    def started(self) -> float: ...

    @property
    def keep_forever(self) -> bool: ...

log = logging.getLogger("cardbot.clicks")
LINE_RENEWAL = WAIT_TURN_SECONDS / 2
"""A waiting click renews its place in line (a write) this often even while the card looks taken."""
MAX_TURNS = 16
"""Clicks of one process in a row that may keep a card while a click of another process waits for it."""


@dataclass
class Turn:
    """A click's place on its card: an earlier delivery of it, or the card (held: the turn is this click's)."""

    earlier: Delivery | None
    card: StoredCard | None
    held: bool
    state: StateRows = ()
    timed_out: bool = False
    """It waited for the card past the hard limit (another process kept it)."""
    ended: bool = field(default=False, repr=False)


class CardTurns:
    """Gives each click its turn on the card; ends it with the click's commit or outcome."""

    def __init__(self, store: Store, *, lease_seconds: float, hard_limit: float) -> None:
        self._store = store
        self._lease_seconds = lease_seconds
        self._hard_limit = hard_limit
        self._locks: dict[str, asyncio.Lock] = {}
        self._queued: dict[str, deque[str]] = {}
        """Per card, the holders of the clicks here waiting for the lock, in the lock's (FIFO) order."""
        self._handed: set[str] = set()
        """Clicks a committing click handed the card's lease to (they skip taking it)."""
        self._streak: dict[str, int] = {}
        self._background: set[asyncio.Task] = set()

    @asynccontextmanager
    async def card(self, click: Click, *, plugin: str) -> AsyncIterator[Turn]:
        """Wait for, then hold, the click's card for `plugin`; gives the turn back on exit unless ended."""
        message_id = click.card_id
        early: Claim | None = None
        if message_id in self._locks:  # queued behind a click on this card here: claim the delivery meanwhile
            early = await self._claim(click, None)
            if early.earlier is not None or early.card is None:
                yield Turn(early.earlier, early.card, False)
                return
        lock = self._locks.setdefault(message_id, asyncio.Lock())
        queue = self._queued.setdefault(message_id, deque())
        queue.append(click.holder)
        try:
            async with lock:
                queue.remove(click.holder)
                turn = await self._take(click, plugin, early)
                if turn.held:
                    try:
                        yield turn
                    finally:
                        if not turn.ended:
                            await self._give_back(message_id, click.holder)
            if not turn.held:  # a repeat (its first copy may be queued behind this lock), or no card: outside it
                yield turn
        finally:
            if click.holder in queue:  # cancelled while waiting
                queue.remove(click.holder)
            if click.holder in self._handed:  # handed the card, then cancelled before it could use it
                self._handed.discard(click.holder)
                self._in_background(self._give_back(message_id, click.holder))
            if not queue and not lock.locked():
                self._locks.pop(message_id, None)
                self._queued.pop(message_id, None)
                self._streak.pop(message_id, None)

    async def commit(self, turn: Turn, change: CardChange) -> int | None:
        """Store the click's change and end its turn in one write (handing it to the next click queued
        here, if any); the new version (see Store.commit_click)."""
        message_id = change.message_id
        queue = self._queued.get(message_id)
        successor = queue[0] if queue else None
        streak = self._streak.get(message_id, 0)
        if successor is not None:
            change = replace(change, hand_to=successor, hand_until=time.time() + self._lease_seconds,
                             hand_despite_waiter=streak + 1 < MAX_TURNS)
        committed = await self._store.commit_click(change)
        turn.ended = True
        if committed.handed and successor is not None:
            self._handed.add(successor)
            self._streak[message_id] = streak + 1
            if successor not in self._queued.get(message_id, ()):  # it left meanwhile
                self._handed.discard(successor)
                self._in_background(self._give_back(message_id, successor))
        else:
            self._streak.pop(message_id, None)
        return committed.version

    async def finish(self, turn: Turn | None, click: Click, status: str, toast_json: str | None,
                     detail: str | None, plugin: str | None, *, end_turn: bool = True,
                     effects: Effects | None = None) -> None:
        """Record a click that changed nothing (with `effects`, e.g. a failed timer's own removal); with
        `end_turn`, its turn (if held) ends with that write."""
        ending = turn is not None and turn.held and end_turn and not turn.ended
        await self._store.finish_click(click.delivery_id, click.card_id, click.holder, status, toast_json,
                                       detail, plugin, lease_holder=click.holder if ending else None, effects=effects)
        if ending and turn is not None:
            turn.ended = True

    async def _take(self, click: Click, plugin: str, early: Claim | None) -> Turn:
        """The click's turn, once it has the lock: handed over, claimed with the lease, or waited for."""
        message_id = click.card_id
        preload = plugin if self._store.preloads_state else None
        if click.holder in self._handed:  # the click before handed the lease on: just read the card
            self._handed.discard(click.holder)
            handed = await self._store.turn(message_id, preload)
            if not handed.leased:  # cards are never deleted; should one vanish, its turn goes back at once
                await self._give_back(message_id, click.holder)
            return Turn(None, handed.card, handed.leased, handed.state)
        claim = await self._claim(click, plugin) if early is None else None
        if claim is not None and (claim.earlier is not None or claim.card is None):
            return Turn(claim.earlier, claim.card, False)
        if claim is None or not claim.leased:
            claim = await self._wait_for_lease(click, preload)
        if claim is None:
            return Turn(None, None, False, timed_out=True)
        return Turn(None, claim.card, claim.leased, claim.state)

    async def _claim(self, click: Click, plugin: str | None) -> Claim:
        """Record the delivery; with `plugin`, also try to take the card's turn (one write)."""
        return await self._store.claim_click(
            click.delivery_id, click.card_id, click.holder,
            lease_holder=click.holder if plugin else None, lease_seconds=self._lease_seconds,
            plugin=plugin if self._store.preloads_state else None,
            keep_forever=click.keep_forever,
        )

    async def _wait_for_lease(self, click: Click, preload: str | None) -> Claim | None:
        """Another process has the card: try again until it is ours, or None at the hard limit."""
        return await self.wait_for_lease(click.card_id, click.holder, click.started + self._hard_limit, preload)

    async def wait_for_lease(self, message_id: str, holder: str, until: float, preload: str | None = None
                             ) -> Claim | None:
        """Take the card's lease for `holder` once it is free, or None at `until` (time.monotonic()). Between
        tries it only reads whether the card looks free, so waiting adds no write for the holder to queue
        behind; a try (a write) also renews its place in line, at least every LINE_RENEWAL seconds. For work
        that holds a card without a click of its own (a link preview storing its card), give the lease back
        with `release`."""
        first, longest = self._store.turn_delays
        delay = first
        tried_at = 0.0
        while True:
            looked_at = time.monotonic()
            if looked_at - tried_at >= LINE_RENEWAL or await self._store.lease_may_be_free(message_id, holder):
                tried_at = looked_at
                claim = await self._store.lease_card(message_id, holder, lease_seconds=self._lease_seconds,
                                                     plugin=preload)
                if claim is not None:
                    return claim
            left = until - time.monotonic()
            if left <= 0:
                return None
            await self._store.wait_for_turn(message_id, min(delay, left), looked_at)
            delay = min(delay * 2, longest)

    async def release(self, message_id: str, holder: str) -> None:
        """Give back a lease taken with `wait_for_lease`."""
        await self._give_back(message_id, holder)

    async def _give_back(self, message_id: str, holder: str) -> None:
        try:
            await self._store.release_lease(message_id, holder)
        except StoreBusy as busy:  # given back with the click's outcome once recorded (or at expiry)
            log.debug("card %s: its turn could not be given back yet: %s", message_id, busy)

    def _in_background(self, work: Coroutine) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
