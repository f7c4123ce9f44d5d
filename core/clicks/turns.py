"""Whose turn it is on a card: one click at a time per card, across tasks, worker processes and hosts.

    async with turns.card(click, plugin="vote") as turn:
        if turn.earlier: ...                    # a redelivery: no turn was taken
        if turn.card is None: ...               # unknown card (or turn.timed_out: waited past the hard limit)
        version = await turns.commit(turn, change)   # stores the click and ends the turn in one write

In this process, clicks on one card queue on an asyncio lock; a click queued behind another claims its
delivery meanwhile, so a redelivery is answered without waiting in line. Across processes and hosts a
lease row in the database, held under the click's own holder id, decides: taken in the click's claim (the same write reads the card and the
plugin's state), given back with its commit. A process that finds the card taken puts itself in line
(store/clicks.py) and waits to be woken (PostgreSQL: NOTIFY) or tries again shortly (SQLite). A turn
whose click ended without giving it back (an exception, a plugin thread still running) is given back
when the block exits. The lease of a process that dies is freed by whichever live process next sweeps
(store/liveness.py), within `[bot] host_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, AsyncIterator

from ..errors import StoreBusy
from ..store import CardChange, Delivery, Store, StoredCard
from ..store.clicks import Claim, StateRows

if TYPE_CHECKING:
    from .pipeline import Click

log = logging.getLogger("cardbot.clicks")


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
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def card(self, click: Click, *, plugin: str) -> AsyncIterator[Turn]:
        """Wait for, then hold, the click's card for `plugin`; gives the turn back on exit unless ended."""
        message_id = click.action.message_id
        early: Claim | None = None
        if message_id in self._users:  # queued behind a click on this card here: claim the delivery meanwhile
            early = await self._claim(click, None)
            if early.earlier is not None or early.card is None:
                yield Turn(early.earlier, early.card, False)
                return
        lock = self._locks.setdefault(message_id, asyncio.Lock())
        self._users[message_id] = self._users.get(message_id, 0) + 1
        try:
            async with lock:
                claim = await self._claim(click, plugin) if early is None else None
                if claim is not None and (claim.earlier is not None or claim.card is None):
                    yield Turn(claim.earlier, claim.card, False)
                    return
                if claim is None or not claim.leased:
                    claim = await self._wait_for_lease(click, plugin)
                turn = (Turn(None, claim.card, True, claim.state) if claim is not None else
                        Turn(None, None, False, timed_out=True))
                try:
                    yield turn
                finally:
                    if turn.held and not turn.ended:
                        await self._give_back(message_id, click.holder)
        finally:
            self._users[message_id] -= 1
            if not self._users[message_id]:
                del self._users[message_id]
                del self._locks[message_id]

    async def commit(self, turn: Turn, change: CardChange) -> int | None:
        """Store the click's change and end its turn in one write; the new version (see Store.commit_click)."""
        version = await self._store.commit_click(change)
        turn.ended = True
        return version

    async def finish(self, turn: Turn | None, click: Click, status: str, toast_json: str | None,
                     detail: str | None, plugin: str | None, *, end_turn: bool = True) -> None:
        """Record a click that changed nothing; with `end_turn`, its turn (if held) ends with that write."""
        ending = turn is not None and turn.held and end_turn and not turn.ended
        action = click.action
        await self._store.finish_click(action.delivery_id, action.message_id, click.holder, status, toast_json,
                                       detail, plugin, lease_holder=click.holder if ending else None)
        if ending and turn is not None:
            turn.ended = True

    async def _claim(self, click: Click, plugin: str | None) -> Claim:
        """Record the delivery; with `plugin`, also try to take the card's turn (one write)."""
        action = click.action
        return await self._store.claim_click(
            action.delivery_id, action.message_id, click.holder,
            lease_holder=click.holder if plugin else None, lease_seconds=self._lease_seconds, plugin=plugin,
            keep_forever=click.keep_forever,
        )

    async def _wait_for_lease(self, click: Click, plugin: str) -> Claim | None:
        """Another process has the card: try again until it is ours, or None at the hard limit."""
        first, longest = self._store.turn_delays
        delay = first
        message_id = click.action.message_id
        while True:
            tried_at = time.monotonic()
            claim = await self._store.lease_card(message_id, click.holder, lease_seconds=self._lease_seconds,
                                                 plugin=plugin)
            if claim is not None:
                return claim
            left = click.started + self._hard_limit - time.monotonic()
            if left <= 0:
                return None
            await self._store.wait_for_turn(message_id, min(delay, left), tried_at)
            delay = min(delay * 2, longest)

    async def _give_back(self, message_id: str, holder: str) -> None:
        try:
            await self._store.release_lease(message_id, holder)
        except StoreBusy as busy:  # given back with the click's outcome once recorded (or at expiry)
            log.debug("card %s: its turn could not be given back yet: %s", message_id, busy)
