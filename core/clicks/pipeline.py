"""Steps 5–10 of a click's journey: dedupe, route, stale guard, dispatch, merge, store, under a deadline.

    outcome = await pipeline.handle(action)    # Outcome(toast, card, version, late)

Clicks on one card are serialised (an in-process lock, then a lease row shared by every worker
process: see turns.py), so the owning plugin sees the current card and state and runs exactly once per click.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Coroutine

from ..action import Action
from ..bot import Bot
from ..config import BotSettings
from ..patches import card_has_value
from ..registry import LoadedPlugin, PluginHost
from ..state import State
from ..errors import StoreBusy
from ..jsoncodec import dumps, loads
from ..store import CardChange, Claim, Delivery, Store, StoredCard, VersionConflict
from ..store.clicks import DONE, FAILED, RUNNING, TIMED_OUT
from ..store.liveness import process_token
from ..toast import Toast
from . import toasts
from .dispatch import PluginFailed, PluginRunner
from .hints import hint_unclaimed
from .turns import CardTurns
from .merge import merge_patch

log = logging.getLogger("cardbot.clicks")
LEASE_MARGIN = 30.0
"""A lease outlives the hard limit by this much, so only a frozen process can lose one."""
POLL_SECONDS = (0.001, 0.002)
"""First and longest wait between looks at another process's lease or delivery."""
BUSY_RETRY_SECONDS = 1.0
"""How often a click hit by a locked database tries again to record its outcome."""


@dataclass(frozen=True)
class Outcome:
    """How to answer a click: a toast, the card to show (None: leave the card as it is), the new version.

    `late` is set when the answer goes out before the plugin finished: it is the task that finishes
    the click, and its result is the click's real Outcome.
    """

    toast: Toast | None
    card: dict | None = None
    version: int | None = None
    late: asyncio.Task | None = None


@dataclass
class Click:
    """One click being processed."""

    action: Action
    started: float
    holder: str
    """Who holds the card's lease: this process and a number unique within it."""
    waiting_for_earlier: bool = False
    keep_forever: bool = False
    """Its delivery record is never pruned: the callback's time was not checked against the replay window."""


class ClickPipeline:
    """Turns a parsed Action into an Outcome, committing whatever the owning plugin changed."""

    def __init__(self, host: PluginHost, runner: PluginRunner, store: Store, settings: BotSettings,
                 processing_toast: Toast, bot: Bot) -> None:
        self._host = host
        self._bot = bot
        self._runner = runner
        self._store = store
        self._settings = settings
        self._processing_toast = processing_toast
        self._lease_seconds = settings.hard_limit + LEASE_MARGIN
        self._background: set[asyncio.Task] = set()
        self._process_token = process_token()
        self._holders = (f"{self._process_token}/{number}" for number in itertools.count())
        self._turns = CardTurns(lambda message_id: store.release_lease(message_id, self._process_token))

    async def handle(self, action: Action, started: float | None = None, *, keep_forever: bool = False) -> Outcome:
        """Process the click; past `[bot] deadline` (from `started`), answer "processing" and go on in the background.

        `keep_forever`: the callback's time could not be checked against the replay window, so its
        delivery record must never be pruned (docs/protocol.md, "Replays")."""
        click = Click(action, time.monotonic() if started is None else started, next(self._holders),
                      keep_forever=keep_forever)
        work = asyncio.create_task(self._process(click))
        self._background.add(work)
        work.add_done_callback(self._background.discard)
        await asyncio.wait({work}, timeout=max(0.0, self._settings.deadline - self._elapsed(click)))
        if work.done():
            return work.result()
        return await self._answer_early(click, work)

    async def _process(self, click: Click) -> Outcome:
        action = click.action
        plugin = self._host.owner_of(action.button_type)
        claim = None
        if plugin is not None and self._turns.queued(action.message_id):
            claim = await self._claim(click, lease=False)  # queued behind a click on this card: claim meanwhile
            if claim.earlier is not None:                                   # 5 dedupe
                return await self._repeat(click, claim.earlier)
        async with self._turns.hold(action.message_id) if plugin else nullcontext():
            if claim is None:
                claim = await self._claim(click, lease=plugin is not None)
                if claim.earlier is not None:                               # 5 dedupe
                    return await self._repeat(click, claim.earlier)
            elif self._turns.kept(action.message_id):  # the click before kept the card for us: just read it
                claim = Claim(None, self._store.card(action.message_id), True)
            try:
                return await self._serve(click, plugin, claim)
            except StoreBusy as fault:
                self._in_background(self._finish_when_possible(click, fault.state))
                raise

    async def _claim(self, click: Click, *, lease: bool) -> Claim:
        action = click.action
        return await self._store.claim_click(
            action.delivery_id, action.message_id, click.holder,
            lease_holder=self._process_token if lease else None, lease_seconds=self._lease_seconds,
            keep_forever=click.keep_forever,
        )

    async def _serve(self, click: Click, plugin: LoadedPlugin | None, claim: Claim) -> Outcome:
        action = click.action
        if claim.card is None:
            return await self._finish(click, DONE, toasts.unknown_card(), detail="unknown card")
        if plugin is None:                                                  # 6 route
            hint_unclaimed(action)
            return await self._finish(click, DONE, toasts.unclaimed(action.button_type), detail="unclaimed")
        stored = claim.card if claim.leased else await self._wait_for_lease(click)
        if stored is None:
            return await self._finish(click, TIMED_OUT, None, detail="waited past the hard limit for the card")
        card = loads(stored.card_json)
        if not card_has_value(card, action.value):                          # 7 stale guard
            return await self._finish(click, DONE, toasts.stale(), card=card, detail="stale")
        return await self._run_plugin(click, plugin, stored, card)          # 8–10

    async def _run_plugin(self, click: Click, plugin: LoadedPlugin, stored: StoredCard, card: dict) -> Outcome:
        action = click.action
        state = State(self._store, plugin.name, action.message_id)
        try:
            patch = await self._runner.run_action(                          # 8 dispatch
                plugin, self._time_left(click),
                action=action, card=loads(stored.card_json), config=plugin.config, state=state, bot=self._bot,
            )
            merged = merge_patch(card, stored.card_json, patch, plugin.name)  # 9 merge + validate
        except PluginFailed as failure:
            log.warning("plugin %r failed on message %s: %s", failure.plugin, action.message_id, failure.detail)
            outcome = await self._finish(click, TIMED_OUT if failure.timed_out else FAILED,
                                         toasts.failed(plugin.name, failure.reason), detail=failure.detail,
                                         plugin=plugin.name, lease=failure.still_running is None)
            if failure.still_running is not None:  # the card stays ours until the abandoned thread returns
                await asyncio.wait({failure.still_running})
                await self._store.release_lease(action.message_id, self._process_token)
                self._turns.forget(action.message_id)
            return outcome
        toast = patch.toast_value if patch else None
        change = CardChange(
            delivery_id=action.delivery_id, message_id=action.message_id, holder=click.holder,
            lease_holder=self._process_token, lease_until=self._end_turn(action.message_id),
            base_version=stored.version, card_json=merged.card_json if merged else None,
            plugin=plugin.name, button_type=action.button_type, operator=action.operator.id,
            patch_json=dumps(patch.to_json()) if merged and patch else None,
            toast_json=dumps(toast.to_json()) if toast else None, status=DONE, detail=None,
            state_writes=state.writes(), state_additions=state.additions(),
        )
        try:
            version = await self._store.commit_click(change)               # 10 store
        except VersionConflict as conflict:
            log.error("plugin %r: %s; its change was dropped", plugin.name, conflict)
            return await self._finish(click, FAILED, toasts.failed(plugin.name), detail=str(conflict),
                                      plugin=plugin.name)
        return Outcome(toast, merged.card if merged else None, version)

    async def _repeat(self, click: Click, earlier: Delivery) -> Outcome:
        """A redelivery: wait for the first copy if it is still running, then answer its toast and the card now."""
        click.waiting_for_earlier = True
        log.debug("delivery %s is a repeat; its first copy is %s", earlier.delivery_id, earlier.status)
        delay = POLL_SECONDS[0]
        while earlier.status == RUNNING and self._time_left(click) > 0:
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_SECONDS[1])
            earlier = self._store.delivery(earlier.delivery_id) or earlier
        stored = self._store.card(click.action.message_id)
        toast = Toast.from_json(loads(earlier.toast)) if earlier.toast else None
        return Outcome(toast, loads(stored.card_json) if stored else None)

    async def _wait_for_lease(self, click: Click) -> StoredCard | None:
        """Another process has the card: try again (which keeps our place in line), backing off,
        until it is ours or time is up."""
        delay = POLL_SECONDS[0]
        while self._time_left(click) > 0:
            stored = await self._store.lease_card(click.action.message_id, self._process_token,
                                                  lease_seconds=self._lease_seconds)
            if stored is not None:
                return stored
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL_SECONDS[1])
        return None

    async def _finish(self, click: Click, status: str, toast: Toast | None, *, card: dict | None = None,
                      detail: str | None = None, plugin: str | None = None, lease: bool = True) -> Outcome:
        """Record a click that changed nothing; with `lease`, end its turn on the card (see turns.py)."""
        action = click.action
        in_turn = lease and self._host.owner_of(action.button_type) is not None  # it holds the card's turn
        await self._store.finish_click(action.delivery_id, action.message_id, click.holder, status,
                                       dumps(toast.to_json()) if toast else None, detail, plugin,
                                       lease_holder=self._process_token if in_turn else None,
                                       keep_until=self._end_turn(action.message_id) if in_turn else None)
        return Outcome(toast, card)

    def _end_turn(self, message_id: str) -> float | None:
        """None to give the card's lease back with this click; else keep it until the time returned."""
        return None if self._turns.give_back(message_id) else time.time() + self._lease_seconds

    async def _finish_when_possible(self, click: Click, fault: str) -> None:
        """The database could not take the click's write (`fault`: "busy", "full", …): record the click as
        failed (freeing its card) once it can, or give up at the hard limit."""
        while True:
            await asyncio.sleep(BUSY_RETRY_SECONDS)
            try:
                await self._finish(click, FAILED, toasts.busy(), detail=f"the database could not take it ({fault})")
                return
            except StoreBusy as still:
                if self._time_left(click) <= 0:
                    log.error("click %s stays recorded as running: the database still cannot take writes (%s)",
                              click.action.delivery_id, still.state)
                    return

    def unfinished(self) -> set[asyncio.Task]:
        """Clicks (and their follow-ups) still running: a stopping worker gives them a grace period."""
        return {task for task in self._background if not task.done()}

    def _in_background(self, work: Coroutine) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _answer_early(self, click: Click, work: asyncio.Task) -> Outcome:
        """The deadline passed: answer "processing" now and let `work` finish the click."""
        if not click.waiting_for_earlier:
            state = await self._store.answered_early(click.action.delivery_id, click.action.message_id,
                                                     click.holder, dumps(self._processing_toast.to_json()),
                                                     keep_forever=click.keep_forever)
            if state == "finished":
                return await work
            if state == "marked":
                return Outcome(self._processing_toast, late=work)
        work.cancel()  # a redelivery whose first copy is still running: that copy will update the card
        return Outcome(self._processing_toast)

    def _elapsed(self, click: Click) -> float:
        return time.monotonic() - click.started

    def _time_left(self, click: Click) -> float:
        return self._settings.hard_limit - self._elapsed(click)

