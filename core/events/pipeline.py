"""Events and chat messages: record the delivery, answer 200, then run the owning plugin's hook once.

    work = await events.accept(envelope)     # None: nobody takes it, or a repeat; else committed to run
    events.start(work)                       # after the 200 went out

Lark pushes an event again when it is not acknowledged, and may push a message again with a new event id,
so a message's delivery is `msg:<message_id>` and another event's `ev:<event_id>`. The record is committed
before the answer: a repeat finds it and runs nothing. A process that dies while a hook runs leaves the
record running; a live process records it interrupted (store/liveness.py), and it never runs again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .. import metrics
from ..bot import Bot
from ..config import BotSettings
from ..errors import ActionFailed, CallbackRejected, StoreBusy
from ..failures import HookEscaped, describe, readable_message
from ..messages import Message, parse_message, read_command
from ..protocol import Envelope
from ..registry import LoadedPlugin, PluginHost
from ..store import Store
from ..store.clicks import DONE, FAILED, TIMED_OUT
from ..clicks.dispatch import HardLimitReached, PluginRunner
from ..clicks.pipeline import NO_PLUGIN
from ..later.effects import later
from ..later.outbox import Outbox
from ..later.timers import Timers
from ..store.effects import Effects
from .event import Event, parse_event
from .identity import BotIdentity
from .replies import queue_reply

log = logging.getLogger("cardbot.events")
MESSAGE_EVENT = "im.message.receive_v1"


UNCLAIMED = "unclaimed"
"""The detail (and metrics outcome) of a message no plugin took."""


@dataclass(frozen=True)
class Ending:
    """How a delivery's hook ended, as its record says, and what it asked for (committed with the record)."""

    status: str
    detail: str | None = None
    plugin: str | None = None
    effects: Effects | None = None
    declined: bool = False
    """The hook raised ActionFailed (recorded done): `declined` in the metrics."""

    @property
    def outcome(self) -> str:
        """The metrics' outcome: `declined`, `unclaimed`, else the status (`timed_out` for "timed out")."""
        if self.declined:
            return "declined"
        if self.detail == UNCLAIMED:
            return UNCLAIMED
        return self.status.replace(" ", "_")


@dataclass
class Work:
    """A recorded delivery whose hook is still to run (after the answer)."""

    delivery_id: str
    key: str
    """The deliveries table's `message_id`: the chat message's id, or the event's type."""
    holder: str
    run: Callable[[], Awaitable[Ending]]
    event_type: str
    owner: str = NO_PLUGIN
    """The plugin that claims the event (a chat message is routed only when it runs)."""


class EventPipeline:
    """Takes events and chat messages for the plugins that claim them."""

    def __init__(self, host: PluginHost, runner: PluginRunner, store: Store, settings: BotSettings, bot: Bot,
                 identity: BotIdentity, process: str, after_commit: Callable[[], None] = lambda: None) -> None:
        """`after_commit` is called when a delivery committed messages to send or timers."""
        self._after_commit = after_commit
        self._host = host
        self._runner = runner
        self._store = store
        self._settings = settings
        self._bot = bot
        self._identity = identity
        self._holders = (f"{process}/e{number}" for number in itertools.count())
        self._background: set[asyncio.Task] = set()

    async def accept(self, envelope: Envelope, *, keep_forever: bool = False) -> Work | None:
        """Parse, route and record one event; the Work to start once it is answered, or None when there is
        nothing to run. CallbackRejected: 400 when it is malformed, 503 when the database cannot record it."""
        if envelope.event_type == MESSAGE_EVENT:
            if not self._host.routes.hears_chat:
                log.info("message received and acknowledged; no plugin takes chat messages or commands")
                metrics.event(MESSAGE_EVENT, NO_PLUGIN, UNCLAIMED)
                return None
            message = parse_message(envelope.payload)
            work = Work(message.delivery_id, message.message_id, next(self._holders), lambda: self._message(message),
                        MESSAGE_EVENT)
        else:
            event = parse_event(envelope.payload)
            plugin = self._host.owner_of_event(event.event_type)
            if plugin is None:
                log.info("event %s received and acknowledged; no plugin claims it", event.event_type)
                metrics.event(event.event_type, NO_PLUGIN, UNCLAIMED)
                return None
            work = Work(event.delivery_id, event.event_type, next(self._holders), lambda: self._event(plugin, event),
                        event.event_type, plugin.name)
        try:
            claim = await self._store.claim_click(work.delivery_id, work.key, work.holder, lease_holder=None,
                                                  lease_seconds=0, keep_forever=keep_forever)
        except StoreBusy as busy:  # not recorded, so not acknowledged: Lark pushes an event again later
            raise CallbackRejected(503, f"the database cannot take the event now ({busy.state}); "
                                        f"it was not recorded") from None
        if claim.earlier is not None:
            log.info("delivery %s is a repeat (first copy %s); nothing runs again", work.delivery_id,
                     claim.earlier.status)
            metrics.event(work.event_type, work.owner, "repeat")
            return None
        return work

    def start(self, work: Work) -> None:
        """Run the work's hook in the background and record how it ended."""
        task = asyncio.create_task(self._run(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def unfinished(self) -> set[asyncio.Task]:
        """Hooks still running: a stopping worker gives them its grace period."""
        return {task for task in self._background if not task.done()}

    async def _run(self, work: Work) -> None:
        started = time.monotonic()
        try:
            ending = await work.run()
        except Exception as error:  # noqa: BLE001 - cardbot's own failure: recorded, never lost silently
            log.exception("delivery %s failed inside cardbot", work.delivery_id)
            ending = Ending(FAILED, f"cardbot failed: {describe(error)}")
        log.info("delivery %s handled by %s: %s in %.0f ms", work.delivery_id, ending.plugin or "nobody",
                 ending.status, (time.monotonic() - started) * 1000)
        metrics.event(work.event_type, ending.plugin or NO_PLUGIN, ending.outcome)
        while True:
            try:
                recorded = await self._store.finish_click(work.delivery_id, work.key, work.holder, ending.status,
                                                          None, ending.detail, ending.plugin, effects=ending.effects)
                break
            except StoreBusy as busy:
                if time.monotonic() - started > self._settings.hard_limit * 2:
                    log.error("delivery %s stays recorded as running: the database cannot take writes (%s)",
                              work.delivery_id, busy.state)
                    return
                await asyncio.sleep(1.0)
        if not recorded:
            log.error("delivery %s was recorded interrupted meanwhile (this process was taken for dead); what it "
                      "asked to send or schedule was dropped", work.delivery_id)
        elif ending.effects:
            self._after_commit()

    async def _message(self, message: Message) -> Ending:
        command = read_command(message, await self._identity.open_id())
        plugin = self._host.owner_of_command(command.name) if command else None
        if command is not None and plugin is not None:
            return await self._call(plugin, "cardbot_command", message, command=command, message=message)
        plugin = self._host.messages_owner
        if plugin is None:
            what = f"command {command.name!r}" if command else "message"
            log.info("%s %s in %s: no plugin takes it", what, message.message_id, message.chat_id)
            return Ending(DONE, UNCLAIMED)
        return await self._call(plugin, "cardbot_message", message, command=command, message=message)

    async def _event(self, plugin: LoadedPlugin, event: Event) -> Ending:
        return await self._call(plugin, "cardbot_event", None, event=event)

    async def _call(self, plugin: LoadedPlugin, hook: str, reply_to: Message | None, **kwargs: Any) -> Ending:
        """Run `plugin`'s hook under the hard limit; a reply it returns goes to message `reply_to` (through
        the outbox, like everything it sends there: only once this delivery is recorded done)."""
        source = reply_to.delivery_id if reply_to is not None else kwargs["event"].delivery_id
        outbox, timers = Outbox(plugin.name), Timers(plugin.name)
        try:
            result = await self._runner.call(plugin, hook, self._settings.hard_limit, config=plugin.config,
                                             bot=self._bot, outbox=outbox, timers=timers, **kwargs)
            if reply_to is not None and result is not None:
                queue_reply(outbox, reply_to, result, plugin.name, hook)
        except ActionFailed as failure:  # on purpose: the person is told why (as a click's error toast does)
            reason = readable_message(failure)
            log.info("plugin %r declined %s: %s", plugin.name, hook, reason)
            told, nothing = Outbox(plugin.name), Timers(plugin.name)  # what the hook queued is dropped
            if reply_to is not None and reason:
                told.reply(reply_to.message_id, text=reason)
            return Ending(DONE, f"declined: {reason}", plugin.name, later(source, None, told, nothing), declined=True)
        except HardLimitReached:
            log.error("plugin %r: %s still running at the hard limit; cut off", plugin.name, hook)
            return Ending(TIMED_OUT, "still running at the hard limit; cut off", plugin.name)
        except HookEscaped as escaped:
            log.error("plugin %r raised %s in %s; the bot goes on", plugin.name, describe(escaped.error), hook)
            return Ending(FAILED, f"raised {describe(escaped.error)}", plugin.name)
        except Exception as error:  # noqa: BLE001 - a plugin bug is contained to this delivery
            log.exception("plugin %r raised in %s", plugin.name, hook)
            return Ending(FAILED, f"raised {describe(error)}", plugin.name)
        return Ending(DONE, None, plugin.name, later(source, None, outbox, timers))
