"""Steps 5–10 of a click's journey: dedupe, route, stale guard, dispatch, merge, store, under a deadline.

    outcome = await pipeline.handle(action)    # Outcome(toast, card, version, late)

Clicks on one card take turns (turns.py: one owner for a card's turn, across processes and hosts),
so the owning plugin sees the current card and state and runs exactly once per click.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Callable, Coroutine

from .. import metrics
from ..action import Action
from ..bot import Bot
from ..config import BotSettings
from ..registry import LoadedPlugin, PluginHost
from ..state import State
from ..errors import StoreBusy
from ..jsoncodec import dumps, loads
from ..later.effects import later
from ..later.outbox import Outbox
from ..later.timers import Timers
from ..store import CardChange, Delivery, Store, TurnLost, VersionConflict
from ..store.clicks import DONE, FAILED, RUNNING, TIMED_OUT
from ..toast import Toast
from . import toasts
from .dispatch import PluginFailed, PluginRunner
from .hints import hint_unclaimed
from .stale import component_on_card
from .turns import CardTurns, Turn
from .merge import merge_patch

log = logging.getLogger("cardbot.clicks")
NO_PLUGIN = "(none)"
"""The plugin of a click no plugin owns, in its log line and metrics."""
OUTCOMES = ("done", "declined", "failed", "timed_out", "stale", "unclaimed", "unknown_card", "repeat", "busy",
            "interrupted", "error")
"""How a click ends, in its log line and metrics: the delivery status (done, failed, timed_out), or why nothing
ran (docs/admin.md, "Logs")."""
LEASE_MARGIN = 30.0
"""A lease outlives the hard limit by this much, so only a frozen process can lose one."""
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
    """The click's holder id, on its delivery and its card's lease: `process-token/number`."""
    waiting_for_earlier: bool = False
    keep_forever: bool = False
    """Its delivery record is never pruned: the callback's time was not checked against the replay window."""
    plugin: str = NO_PLUGIN
    """The plugin that owns the click, once routed."""
    outcome: str = ""
    """How it ended, once it did (OUTCOMES; "" while it runs)."""
    version: int | None = None
    """The card version it made, if any."""

    @property
    def card_id(self) -> str:
        return self.action.card_id

    @property
    def delivery_id(self) -> str:
        return self.action.delivery_id


class ClickPipeline:
    """Turns a parsed Action into an Outcome, committing whatever the owning plugin changed."""

    def __init__(self, host: PluginHost, runner: PluginRunner, store: Store, settings: BotSettings,
                 processing_toast: Toast, bot: Bot, process: str, after_commit: Callable[[], None] = lambda: None
                 ) -> None:
        """`process`: this process's token (store/liveness.py); every click's holder id starts with it.
        `after_commit` is called when a click committed messages to send or timers (the dispatcher's wake)."""
        self._after_commit = after_commit
        self._host = host
        self._bot = bot
        self._runner = runner
        self._store = store
        self._settings = settings
        self._processing_toast = processing_toast
        self._background: set[asyncio.Task] = set()
        self._holders = (f"{process}/{number}" for number in itertools.count())
        self._turns = CardTurns(store, lease_seconds=settings.hard_limit + LEASE_MARGIN,
                                hard_limit=settings.hard_limit)

    @property
    def turns(self) -> CardTurns:
        """Whose turn it is on each card (timers that change a card take their turns here too)."""
        return self._turns

    async def handle(self, action: Action, started: float | None = None, *, keep_forever: bool = False) -> Outcome:
        """Process the click; past `[bot] deadline` (from `started`), answer "processing" and go on in the background.

        `keep_forever`: the callback's time could not be checked against the replay window, so its
        delivery record must never be pruned (docs/protocol.md, "Replays")."""
        click = Click(action, time.monotonic() if started is None else started, next(self._holders),
                      keep_forever=keep_forever)
        work = asyncio.create_task(self._process(click))
        self._background.add(work)
        work.add_done_callback(self._background.discard)
        await done_or_timeout(work, self._settings.deadline - self._elapsed(click))
        if work.done():
            return work.result()
        return await self._answer_early(click, work)

    async def _process(self, click: Click) -> Outcome:
        try:
            return await self._route(click)
        except StoreBusy as fault:
            click.outcome = "busy"
            self._in_background(self._finish_when_possible(click, fault.state))
            raise
        except asyncio.CancelledError:  # a repeat given up at the deadline, or a worker stopping
            click.outcome = click.outcome or "interrupted"
            raise
        finally:
            self._handled(click)

    def _handled(self, click: Click) -> None:
        """The click's one INFO line (docs/admin.md, "Logs") and its metrics."""
        seconds, outcome = self._elapsed(click), click.outcome or "error"
        metrics.click(click.plugin, outcome, seconds)
        log.info("click on %s: plugin=%s outcome=%s version=%s ms=%.0f", click.card_id, click.plugin, outcome,
                 click.version or "-", seconds * 1000)

    async def _route(self, click: Click) -> Outcome:
        action = click.action
        plugin = self._host.owner_of_click(action)                          # 6 route
        if plugin is not None:
            click.plugin = plugin.name
            async with self._turns.card(click, plugin=plugin.name) as turn:
                return await self._serve(click, plugin, turn)
        claim = await self._store.claim_click(action.delivery_id, action.card_id, click.holder,  # nobody owns it
                                              lease_holder=None, lease_seconds=0, keep_forever=click.keep_forever)
        if claim.earlier is not None:                                       # 5 dedupe
            return await self._repeat(click, claim.earlier)
        if claim.card is None:
            return await self._finish(click, None, DONE, toasts.unknown_card(), "unknown_card", detail="unknown card")
        hint_unclaimed(action)
        return await self._finish(click, None, DONE, toasts.unclaimed(action.button_type), "unclaimed",
                                  detail="unclaimed")

    async def _serve(self, click: Click, plugin: LoadedPlugin, turn: Turn) -> Outcome:
        if turn.earlier is not None:                                        # 5 dedupe
            return await self._repeat(click, turn.earlier)
        if turn.timed_out:
            return await self._finish(click, turn, TIMED_OUT, None, "timed_out",
                                      detail="waited past the hard limit for the card")
        if turn.card is None:
            return await self._finish(click, turn, DONE, toasts.unknown_card(), "unknown_card", detail="unknown card")
        card = loads(turn.card.card_json)
        if not component_on_card(card, click.action):                       # 7 stale guard
            return await self._finish(click, turn, DONE, toasts.stale(), "stale", card=card, detail="stale")
        return await self._run_plugin(click, plugin, turn, card)            # 8–10

    async def _run_plugin(self, click: Click, plugin: LoadedPlugin, turn: Turn, card: dict) -> Outcome:
        action = click.action
        stored = turn.card
        assert stored is not None
        state = State(self._store.state_reader(turn.state), plugin.name, action.card_id)
        outbox, timers = Outbox(plugin.name), Timers(plugin.name)
        try:
            patch = await self._runner.run_action(                          # 8 dispatch
                plugin, self._time_left(click),
                action=action, card=loads(stored.card_json), config=plugin.config, state=state, bot=self._bot,
                outbox=outbox, timers=timers,
            )
            merged = merge_patch(card, stored.card_json, patch, plugin.name)  # 9 merge + validate
        except PluginFailed as failure:
            if failure.declined:  # a refusal on purpose, not a fault
                log.info("plugin %r declined the click on message %s: %s", failure.plugin, action.card_id,
                         failure.reason or "(no reason given)")
            else:
                log.warning("plugin %r failed on message %s: %s", failure.plugin, action.card_id, failure.detail)
            outcome = await self._finish(click, turn, TIMED_OUT if failure.timed_out else FAILED,
                                         toasts.failed(plugin.name, failure.reason, failure.i18n),
                                         failure.outcome, detail=failure.detail,
                                         plugin=plugin.name, end_turn=failure.still_running is None)
            if failure.still_running is not None:  # the card stays this click's until the abandoned thread returns
                await asyncio.wait({failure.still_running})
            return outcome
        toast = patch.toast_value if patch else None
        change = CardChange(
            delivery_id=action.delivery_id, message_id=action.card_id, holder=click.holder,
            base_version=stored.version,
            card_json=merged.card_json if merged else None,
            plugin=plugin.name, button_type=action.button_type, operator=action.operator.id,
            patch_json=patch.to_json_text() if merged and patch else None,
            toast_json=dumps(toast.to_json()) if toast else None, status=DONE, detail=None,
            state_writes=state.writes(), state_additions=state.additions(),
            effects=later(action.delivery_id, action.card_id, outbox, timers),
        )
        try:
            version = await self._turns.commit(turn, change)               # 10 store
        except VersionConflict as conflict:
            log.error("plugin %r: %s; its change was dropped", plugin.name, conflict)
            return await self._finish(click, turn, FAILED, toasts.failed(plugin.name), "failed", detail=str(conflict),
                                      plugin=plugin.name)
        except TurnLost as lost:  # this process was taken for dead meanwhile: the click is recorded interrupted
            log.error("plugin %r: %s; its change was dropped", plugin.name, lost)
            click.outcome = "interrupted"
            return Outcome(toasts.busy())
        click.outcome, click.version = DONE, version
        if change.effects:
            self._after_commit()
        return Outcome(toast, merged.card if merged else None, version)

    async def _repeat(self, click: Click, earlier: Delivery) -> Outcome:
        """A redelivery: wait for the first copy if it is still running, then answer its toast and the card now."""
        click.waiting_for_earlier = True
        click.outcome = "repeat"
        log.debug("delivery %s is a repeat; its first copy is %s", earlier.delivery_id, earlier.status)
        delay, longest = self._store.turn_delays
        while earlier.status == RUNNING and self._time_left(click) > 0:
            await asyncio.sleep(delay)
            delay = min(delay * 2, longest)
            earlier = await self._store.delivery(earlier.delivery_id) or earlier
        stored = await self._store.card(click.action.card_id)
        toast = Toast.from_json(loads(earlier.toast)) if earlier.toast else None
        return Outcome(toast, loads(stored.card_json) if stored else None)

    async def _finish(self, click: Click, turn: Turn | None, status: str, toast: Toast | None, outcome: str, *,
                      card: dict | None = None, detail: str | None = None, plugin: str | None = None,
                      end_turn: bool = True) -> Outcome:
        """Record a click that changed nothing, ending as `outcome` (OUTCOMES); with `end_turn`, its turn on
        the card ends with it."""
        click.outcome = outcome
        await self._turns.finish(turn, click, status, dumps(toast.to_json()) if toast else None, detail, plugin,
                                 end_turn=end_turn)
        return Outcome(toast, card)

    async def _finish_when_possible(self, click: Click, fault: str) -> None:
        """The database could not take the click's write (`fault`: "busy", "full", …): record the click as
        failed once it can, or give up at the hard limit (its card's lease is given back with it, or
        expires: see turns.py)."""
        while True:
            await asyncio.sleep(BUSY_RETRY_SECONDS)
            try:
                await self._store.finish_click(click.action.delivery_id, click.action.card_id, click.holder,
                                               FAILED, dumps(toasts.busy().to_json()),
                                               f"the database could not take it ({fault})",
                                               lease_holder=click.holder)
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
        state = None if click.waiting_for_earlier else await self._store.answered_early(
            click.action.delivery_id, click.action.card_id, click.holder, dumps(self._processing_toast.to_json()),
            keep_forever=click.keep_forever)
        if state == "finished":
            return await work
        metrics.deadline_missed(click.plugin)
        if state == "marked":
            return Outcome(self._processing_toast, late=work)
        work.cancel()  # a redelivery whose first copy is still running: that copy will update the card
        return Outcome(self._processing_toast)

    def _elapsed(self, click: Click) -> float:
        return time.monotonic() - click.started

    def _time_left(self, click: Click) -> float:
        return self._settings.hard_limit - self._elapsed(click)


async def done_or_timeout(task: asyncio.Task, timeout: float) -> None:
    """Wait until `task` is done or `timeout` seconds have passed, whichever comes first; `task` goes on
    either way. `asyncio.wait({task}, timeout=…)` for one task, at about half its cost (it runs per click)."""
    if task.done():
        return
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    timer = loop.call_later(max(0.0, timeout), wake)
    task.add_done_callback(wake)
    try:
        await waiter
    finally:
        timer.cancel()
        task.remove_done_callback(wake)
