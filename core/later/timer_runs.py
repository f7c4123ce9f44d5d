"""Run one due timer: its plugin's `cardbot_timer`, once, under the same rules as a click.

    await timer_runs.run(due)      # recorded as delivery timer:<plugin>:<key>:<generation>

A timer that targets a card runs under that card's turn (no click on it runs meanwhile), sees the card and
its state, and its Patch is merged and committed like a click's, with the outbox, new timers and the removal
of the timer itself in the same transaction; a shared card's change is then PATCHed to Lark through the
outbox. An exclusive card (JSON 1.0 without `update_multi`) cannot be PATCHed: its change is stored, the push
is recorded refused, and whoever clicks it next sees it. A timer found recorded already (it ran, or its
process died while it ran) is removed without running again.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass

from .. import metrics
from ..action import PREVIEW_CARD_PREFIX
from ..bot import Bot
from ..clicks.dispatch import PluginFailed, PluginRunner
from ..clicks.merge import merge_patch
from ..clicks.turns import CardTurns, Turn
from ..config import BotSettings
from ..frozen import freeze
from ..jsoncodec import loads
from ..registry import LoadedPlugin, PluginHost
from ..state import State
from ..store import CardChange, Store, TurnLost, VersionConflict
from ..store.clicks import DONE, FAILED, TIMED_OUT
from ..store.effects import Effects
from ..store.timers import DueTimer
from .outbox import Outbox
from .timers import Timer, Timers, due_datetime

log = logging.getLogger("cardbot.timers")


@dataclass(frozen=True)
class TimerRun:
    """A timer's run as it takes its card's turn (see turns.Click)."""

    card_id: str
    delivery_id: str
    holder: str
    started: float
    keep_forever: bool = False


class TimerRuns:
    """Runs due timers of the plugins loaded here."""

    def __init__(self, host: PluginHost, runner: PluginRunner, store: Store, settings: BotSettings, bot: Bot,
                 turns: CardTurns, process: str) -> None:
        self._host = host
        self._runner = runner
        self._store = store
        self._settings = settings
        self._bot = bot
        self._turns = turns
        self._holders = (f"{process}/t{number}" for number in itertools.count())
        self._unknown: set[str] = set()

    async def run(self, due: DueTimer) -> bool:
        """Run `due` once; False when its plugin is not loaded here (the timer stays set)."""
        plugin = self._host.plugins.get(due.plugin)
        if plugin is None:
            if due.plugin not in self._unknown:
                self._unknown.add(due.plugin)
                log.warning("timer %r of plugin %r is due, but that plugin is not enabled: it stays set",
                            due.key, due.plugin)
            return False
        run = TimerRun(due.card_id or f"timer:{plugin.name}", due.delivery_id, next(self._holders),
                       time.monotonic())
        timer = Timer(plugin.name, due.key, due_datetime(due.due_at), freeze(loads(due.payload or "null")),
                      due.card_id, due.card_never_sent)
        started = time.monotonic()
        if due.card_id is None:
            outcome, said = await self._run_alone(plugin, due, run, timer)
        else:
            async with self._turns.card(run, plugin=plugin.name) as turn:
                outcome, said = await self._run_on_card(plugin, due, run, timer, turn)
        metrics.timer(plugin.name, outcome)
        log.info("timer %s of %r: %s in %.0f ms", due.key, plugin.name, said, (time.monotonic() - started) * 1000)
        return True

    async def _run_alone(self, plugin: LoadedPlugin, due: DueTimer, run: TimerRun, timer: Timer) -> tuple[str, str]:
        """(its metrics outcome, what the log says): so are the other run methods'."""
        claim = await self._store.claim_click(run.delivery_id, run.card_id, run.holder, lease_holder=None,
                                              lease_seconds=0)
        if claim.earlier is not None:
            await self._store.drop_timer(due)
            return "repeat", f"found recorded {claim.earlier.status}; not run again"
        state = State(self._store.state_reader(await self._store.state(plugin.name, "")), plugin.name, "")
        outbox, timers = Outbox(plugin.name), Timers(plugin.name)
        try:
            await self._runner.run_action(plugin, self._settings.hard_limit, "cardbot_timer", timer=timer, card=None,
                                          state=state, config=plugin.config, bot=self._bot, outbox=outbox,
                                          timers=timers)
        except PluginFailed as failure:
            return await self._failed(plugin, due, run, failure)
        await self._store.finish_click(run.delivery_id, run.card_id, run.holder, DONE, None, None, plugin.name,
                                       effects=self._effects(due, run, outbox, timers),
                                       state_writes=state.writes(), state_additions=state.additions())
        return DONE, DONE

    async def _run_on_card(self, plugin: LoadedPlugin, due: DueTimer, run: TimerRun, timer: Timer, turn: Turn
                           ) -> tuple[str, str]:
        if turn.earlier is not None:
            await self._store.drop_timer(due)
            return "repeat", f"found recorded {turn.earlier.status}; not run again"
        if turn.timed_out or turn.card is None:
            detail = "waited past the hard limit for the card" if turn.timed_out else f"no card {due.card_id}"
            await self._turns.finish(turn, run, TIMED_OUT if turn.timed_out else FAILED, None, detail, plugin.name,
                                     effects=self._ran(due, run))
            return ("timed_out" if turn.timed_out else "no_card"), detail
        stored = turn.card
        state = State(self._store.state_reader(turn.state), plugin.name, run.card_id)
        outbox, timers = Outbox(plugin.name), Timers(plugin.name)
        card = loads(stored.card_json)
        try:
            patch = await self._runner.run_action(plugin, self._settings.hard_limit, "cardbot_timer", timer=timer,
                                                  card=loads(stored.card_json), state=state, config=plugin.config,
                                                  bot=self._bot, outbox=outbox, timers=timers)
            merged = merge_patch(card, stored.card_json, patch, plugin.name)
        except PluginFailed as failure:
            return await self._failed(plugin, due, run, failure, turn)
        if merged is not None and not run.card_id.startswith(PREVIEW_CARD_PREFIX):  # a preview is no message
            outbox.push(run.card_id)
        change = CardChange(
            delivery_id=run.delivery_id, message_id=run.card_id, holder=run.holder, base_version=stored.version,
            card_json=merged.card_json if merged else None, plugin=plugin.name, button_type=None,
            operator=f"timer:{due.key}", patch_json=patch.to_json_text() if merged and patch else None,
            toast_json=None, status=DONE, detail=None, state_writes=state.writes(),
            state_additions=state.additions(), effects=self._effects(due, run, outbox, timers))
        try:
            await self._turns.commit(turn, change)
        except (VersionConflict, TurnLost) as lost:
            log.error("timer %s of %r: %s; its change was dropped", due.key, plugin.name, lost)
            return FAILED, FAILED
        return DONE, DONE

    async def _failed(self, plugin: LoadedPlugin, due: DueTimer, run: TimerRun, failure: PluginFailed,
                      turn: Turn | None = None) -> tuple[str, str]:
        """A failed timer is recorded and removed in one write (it never runs twice); what it asked for is
        dropped. With a card, its turn ends with that write."""
        if failure.declined:
            log.info("plugin %r declined timer %s: %s", plugin.name, due.key, failure.reason or "(no reason given)")
        else:
            log.warning("plugin %r failed on timer %s: %s", plugin.name, due.key, failure.detail)
        status = TIMED_OUT if failure.timed_out else FAILED
        await self._turns.finish(turn, run, status, None, failure.detail, plugin.name, effects=self._ran(due, run))
        return failure.outcome, status

    @staticmethod
    def _ran(due: DueTimer, run: TimerRun) -> Effects:
        """Only the removal of the timer that ran."""
        return Effects(source=run.delivery_id, source_card=due.card_id, ran_timer=(due.plugin, due.key,
                                                                                    due.generation))

    @staticmethod
    def _effects(due: DueTimer, run: TimerRun, outbox: Outbox, timers: Timers) -> Effects:
        return Effects(source=run.delivery_id, source_card=due.card_id, outbox=outbox.entries(),
                       timers=timers.changes(), ran_timer=(due.plugin, due.key, due.generation))
