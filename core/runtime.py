"""`Runtime`: everything one worker process serves with, opened at start and closed at stop.

    runtime = await Runtime.start(config)      # plugins loaded and started, database open
    outcome = await runtime.handle_click(action)
    work = await runtime.events.accept(envelope); runtime.events.start(work)
    answer = await runtime.previews.answer(envelope, started)
    await runtime.stop()
"""

from __future__ import annotations

import asyncio
import logging
import time
from zoneinfo import ZoneInfo

from .action import Action
from .bot import Bot
from .clicks import ClickPipeline, Outcome, PluginRunner, toasts
from .clicks.push import LatePusher
from .config import Config, LarkSecrets
from .errors import ConfigError, StoreBusy
from .failures import describe
from .events import BotIdentity, EventPipeline
from .lark import LarkClient
from .lark.previews import PreviewRefresher
from .longconn import LongConnection, Refused
from .later import Dispatcher, TimerRuns, Timers
from .store.effects import Effects
from .previews import PreviewPipeline
from .protocol import CallbackAuth, classify
from .protocol.jsonbody import load_object
from .receiving import Reply, receive
from .registry import PluginHost, load_plugins
from .presence import Presence
from .sending import CardSender
from .store import Store, open_store

log = logging.getLogger("cardbot")
PRUNE_EVERY = 3600.0
"""Seconds between prunes of expired records (also once at start)."""


class Runtime:
    """Config, secrets, plugins, store and click pipeline of one worker process."""

    def __init__(self, config: Config, secrets: LarkSecrets, host: PluginHost, store: Store) -> None:
        self.config = config
        self.secrets = secrets
        self.auth = CallbackAuth(secrets.verification_token, secrets.encrypt_key, config.bot.timestamp_tolerance,
                                 config.bot.dev)
        self.host = host
        self.store = store
        self.presence = Presence(store, host_timeout=config.bot.host_timeout)
        self.runner = PluginRunner(config.bot.plugin_threads)
        self.lark = LarkClient.from_secrets(secrets)
        self.sender = CardSender(self.lark, store)
        self.bot = Bot(self.sender, asyncio.get_running_loop(), previews=PreviewRefresher(self.lark),
                       timezone=ZoneInfo(config.bot.timezone))
        self.pusher = LatePusher(self.lark, store)
        self.clicks = ClickPipeline(host, self.runner, store, config.bot,
                                    toasts.processing(config.bot.processing_toast), self.bot, self.presence.token,
                                    after_commit=self._wake_dispatcher)
        self.events = EventPipeline(host, self.runner, store, config.bot, self.bot, BotIdentity(self.lark),
                                    self.presence.token, after_commit=self._wake_dispatcher)
        self.timer_runs = TimerRuns(host, self.runner, store, config.bot, self.bot, self.clicks.turns,
                                    self.presence.token)
        self.dispatcher = Dispatcher(store, self.lark, self.timer_runs, self.presence.token, config.bot)
        self._dispatching: asyncio.Task | None = None
        self.long_connection = LongConnection(secrets, self._from_long_connection) if config.bot.long_connection \
            else None
        self._connecting: asyncio.Task | None = None
        self.previews = PreviewPipeline(host, self.runner, store, config.bot, self.bot, self.clicks.turns,
                                        self.presence.token)
        self._background: set[asyncio.Task] = set()
        self._maintenance: asyncio.Task | None = None
        self._stopping: asyncio.Future | None = None

    @classmethod
    async def start(cls, config: Config, secrets: LarkSecrets | None = None) -> Runtime:
        """Load plugins, open the database, announce this process (clicks of dead ones are recorded
        interrupted), run every plugin's startup hook."""
        secrets = secrets or LarkSecrets.from_env()
        warn_about_secrets(secrets, config.bot.dev)
        host = load_plugins(config)
        store = await open_store(config.bot)
        runtime = cls(config, secrets, host, store)
        await runtime.presence.start()
        runtime._maintenance = asyncio.create_task(runtime._prune_periodically())
        for plugin in host.plugins.values():
            timers = Timers(plugin.name)
            try:
                await runtime.runner.call(plugin, "cardbot_startup", None, config=plugin.config, bot=runtime.bot,
                                          timers=timers)
            except Exception as error:  # noqa: BLE001 - start-up stops with the plugin named
                raise ConfigError(f"plugin {plugin.name!r}: cardbot_startup raised {describe(error)}") from None
            if timers.changes():
                await store.commit_effects(Effects(source=f"startup:{plugin.name}", timers=timers.changes()))
        runtime._dispatching = asyncio.create_task(runtime.dispatcher.run())
        if runtime.long_connection is not None:
            runtime._connecting = asyncio.create_task(runtime._keep_connected(runtime.long_connection))
        return runtime

    async def _keep_connected(self, connection: LongConnection) -> None:
        try:
            await connection.run()
        except Refused as refused:
            log.error("the long connection was refused for good: %s; callbacks can only come to the callback URL",
                      refused)

    async def _from_long_connection(self, payload: bytes) -> Reply:
        """A payload from the long connection: plain JSON over an authenticated channel (no signature to check;
        the dedupe is the callback URL's), through the same journey."""
        started = time.monotonic()
        envelope = classify(load_object(payload))
        if envelope.kind == "challenge":
            return Reply({"challenge": envelope.challenge})
        return await receive(self, envelope, started, keep_forever=False)

    @property
    def background(self) -> set[asyncio.Task]:
        """Late clicks finishing after their answer, and their pushes, still running."""
        return {task for task in self._background if not task.done()}

    def _wake_dispatcher(self) -> None:
        self.dispatcher.wake()

    async def handle_click(self, action: Action, started: float | None = None, *,
                           keep_forever: bool = False) -> Outcome:
        """Run the click through the pipeline; whatever goes wrong, return an Outcome with a toast.
        `keep_forever`: never prune its delivery record (its time could not be checked)."""
        try:
            return await self.clicks.handle(action, started, keep_forever=keep_forever)
        except StoreBusy as error:
            log.warning("click on %s not processed: %s", action.card_id, error)
            return Outcome(toasts.busy())
        except Exception:  # noqa: BLE001 - an authenticated click always gets its 200
            log.exception("click on %s failed inside cardbot", action.card_id)
            return Outcome(toasts.internal_error())

    def finish_late(self, action: Action, work: asyncio.Task) -> None:
        """After a "processing" answer went out, let `work` finish the click in the background."""
        task = asyncio.create_task(self._finish_late(action, work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _finish_late(self, action: Action, work: asyncio.Task) -> None:
        try:
            outcome = await work
            log.info("click on %s finished after its answer: %s", action.card_id,
                     f"version {outcome.version}" if outcome.version else "card unchanged")
            if outcome.card is not None:
                await self.pusher.push(action)
        except Exception:  # noqa: BLE001 - a background failure is logged, never lost silently
            log.exception("late click on %s failed inside cardbot", action.card_id)

    async def _prune_periodically(self) -> None:
        """Delete expired delivery records and history now and every PRUNE_EVERY seconds."""
        dedupe_seconds, history_seconds = self.config.bot.retention
        while True:
            try:
                deleted = await self.store.prune(dedupe_seconds, history_seconds, self.config.bot.card_retention)
                if any(deleted.values()):
                    log.info("pruned expired records: %s", deleted)
            except Exception:  # noqa: BLE001 - retried at the next interval
                log.exception("pruning expired records failed")
            await asyncio.sleep(min(PRUNE_EVERY, dedupe_seconds))

    async def stop(self) -> None:
        """Wait briefly for clicks finishing in the background, run shutdown hooks, close the database.

        Runs once: a later or concurrent call waits for the first (Sanic 25.12 re-runs a stop listener whose
        first run the loop interrupted, and that first run goes on beside the second).
        """
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        if self._maintenance is not None:
            self._maintenance.cancel()
        if self.long_connection is not None:
            await self.long_connection.stop()  # answers under way go out first; Lark sends the rest elsewhere
        await self.dispatcher.stop()  # no new timers from here on: one due during the grace runs at the next start
        grace = self.config.bot.shutdown_grace
        clicks = self.clicks.unfinished() | self.events.unfinished()  # a late click also has a task in _background
        if self._dispatching is not None:
            clicks.add(self._dispatching)  # finishing the timer runs and sends already under way
        if clicks or self._background:
            log.info("waiting up to %g s for %d click(s) still running and %d late result(s) to push", grace,
                     len(clicks), len(self._background))
            await asyncio.wait(clicks | self._background, timeout=grace)
        leftover = self._background | self.clicks.unfinished() | self.events.unfinished()
        for task in leftover | {task for task in (self._dispatching, self._connecting) if task is not None}:
            task.cancel()
        await self.presence.stop()
        for plugin in self.host.plugins.values():
            try:
                await self.runner.call(plugin, "cardbot_shutdown", grace, config=plugin.config, bot=self.bot)
            except Exception:  # noqa: BLE001 - a failing shutdown hook must not stop the others
                log.exception("plugin %r: cardbot_shutdown failed", plugin.name)
        self.runner.close()
        self.lark.close()
        await self.store.close()


def warn_about_secrets(secrets: LarkSecrets, dev: bool) -> None:
    """Log loudly when callbacks cannot be authenticated, or slow results cannot reach Lark."""
    if not (secrets.app_id and secrets.app_secret):
        log.warning("LARK_APP_ID / LARK_APP_SECRET are not set: cards cannot be sent, and a click answered "
                    "\"processing\" cannot have its result pushed to Lark afterwards.")
    if secrets.can_verify_callbacks:
        if dev:
            log.info("--dev has no effect: callback secrets are configured, so every callback is verified")
        return
    if dev:
        log.warning("DEVELOPMENT MODE: no LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY is set; unsigned callbacks "
                    "are accepted from loopback addresses only. Never expose this server.")
    else:
        log.warning("!!! no LARK_VERIFICATION_TOKEN or LARK_ENCRYPT_KEY is set: every callback will be REFUSED. "
                    "Set them from the app's Events & Callbacks > Encryption page, or run with --dev for local tests.")

