"""`Runtime`: everything one worker process serves with, opened at start and closed at stop.

    runtime = await Runtime.start(config)      # plugins loaded and started, database open
    outcome = await runtime.handle_click(action)
    await runtime.stop()
"""

from __future__ import annotations

import asyncio
import logging

from .action import Action
from .clicks import ClickPipeline, Outcome, PluginRunner, toasts
from .config import Config, LarkSecrets
from .errors import ConfigError, StoreBusy
from .protocol import CallbackAuth
from .registry import PluginHost, load_plugins
from .store import Store

log = logging.getLogger("cardbot")
SHUTDOWN_GRACE = 10.0
"""Seconds a stopping worker waits for clicks still finishing in the background."""


class Runtime:
    """Config, secrets, plugins, store and click pipeline of one worker process."""

    def __init__(self, config: Config, auth: CallbackAuth, host: PluginHost, store: Store,
                 runner: PluginRunner) -> None:
        self.config = config
        self.auth = auth
        self.host = host
        self.store = store
        self.runner = runner
        self.clicks = ClickPipeline(host, runner, store, config.bot, toasts.processing())
        self._background: set[asyncio.Task] = set()

    @classmethod
    async def start(cls, config: Config, *, dev: bool = False, secrets: LarkSecrets | None = None) -> Runtime:
        """Load plugins, open the database, recover interrupted clicks, run every plugin's startup hook."""
        secrets = secrets or LarkSecrets.from_env()
        auth = CallbackAuth(secrets.verification_token, secrets.encrypt_key, config.bot.timestamp_tolerance, dev)
        warn_about_secrets(secrets, dev)
        host = load_plugins(config)
        store = Store(config.bot.database, busy_timeout=config.bot.busy_timeout, synchronous=config.bot.synchronous)
        runtime = cls(config, auth, host, store, PluginRunner(config.bot.plugin_threads))
        interrupted = await store.recover_interrupted()
        if interrupted:
            log.warning("%d click(s) were interrupted by a stop or crash before their plugin finished: %s",
                        len(interrupted), ", ".join(interrupted))
        for plugin in host.plugins.values():
            try:
                await runtime.runner.call(plugin, "cardbot_startup", None, config=plugin.config)
            except Exception as error:  # noqa: BLE001 - start-up stops with the plugin named
                raise ConfigError(f"plugin {plugin.name!r}: cardbot_startup raised "
                                  f"{type(error).__name__}: {error}") from error
        return runtime

    async def handle_click(self, action: Action, started: float | None = None) -> Outcome:
        """Run the click through the pipeline; whatever goes wrong, return an Outcome with a toast."""
        try:
            return await self.clicks.handle(action, started)
        except StoreBusy as error:
            log.warning("click on %s not processed: %s", action.message_id, error)
            return Outcome(toasts.busy())
        except Exception:  # noqa: BLE001 - an authenticated click always gets its 200
            log.exception("click on %s failed inside cardbot", action.message_id)
            return Outcome(toasts.failed("cardbot"))

    def finish_late(self, action: Action, work: asyncio.Task) -> None:
        """After a "processing" answer went out, let `work` finish the click in the background."""
        task = asyncio.create_task(self._finish_late(action, work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _finish_late(self, action: Action, work: asyncio.Task) -> None:
        try:
            outcome = await work
        except Exception:  # noqa: BLE001
            log.exception("late click on %s failed inside cardbot", action.message_id)
            return
        log.info("late click on %s finished: version %s", action.message_id, outcome.version)

    async def stop(self) -> None:
        """Wait briefly for clicks finishing in the background, run shutdown hooks, close the database."""
        if self._background:
            log.info("waiting up to %.0f s for %d click(s) still running", SHUTDOWN_GRACE, len(self._background))
            await asyncio.wait(self._background, timeout=SHUTDOWN_GRACE)
        for plugin in self.host.plugins.values():
            try:
                await self.runner.call(plugin, "cardbot_shutdown", SHUTDOWN_GRACE, config=plugin.config)
            except Exception:  # noqa: BLE001 - a failing shutdown hook must not stop the others
                log.exception("plugin %r: cardbot_shutdown failed", plugin.name)
        self.runner.close()
        self.store.close()


def warn_about_secrets(secrets: LarkSecrets, dev: bool) -> None:
    """Log loudly when callbacks cannot be authenticated."""
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

