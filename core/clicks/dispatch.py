"""Call one plugin's hook safely: async on the loop, plain functions on the plugin's own threads.

A plugin that raises, hangs or returns garbage becomes a `PluginFailed` for that click only. Each
plugin has its own small thread pool, so one that blocks forever cannot starve the others.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from typing import Any

from ..errors import ActionFailed
from ..patches import Patch
from ..registry import LoadedPlugin
from .threads import DaemonThreadPool

log = logging.getLogger("cardbot.dispatch")


class PluginFailed(Exception):
    """A plugin's hook failed; `reason` is safe to show the clicker, `detail` goes to the log."""

    def __init__(self, plugin: str, detail: str, reason: str | None = None, *, timed_out: bool = False,
                 still_running: asyncio.Future | None = None) -> None:
        super().__init__(detail)
        self.plugin = plugin
        self.detail = detail
        self.reason = reason
        self.timed_out = timed_out
        self.still_running = still_running
        """A plain function cut off at the hard limit keeps running on its thread; this settles when it returns."""


class HardLimitReached(Exception):
    """A hook was cut off at its time limit; `still_running` settles when an abandoned thread returns."""

    def __init__(self, still_running: asyncio.Future | None) -> None:
        super().__init__("cut off at the time limit")
        self.still_running = still_running


class PluginRunner:
    """Runs hooks of loaded plugins with a time limit."""

    def __init__(self, threads_per_plugin: int) -> None:
        self._threads = threads_per_plugin
        self._executors: dict[str, DaemonThreadPool] = {}

    async def call(self, plugin: LoadedPlugin, hook_name: str, timeout: float | None, **kwargs: Any) -> Any:
        """Run `plugin`'s `hook_name` with `kwargs`; return its (awaited) result. Raises whatever it raises,
        or HardLimitReached after `timeout` seconds (None: no limit)."""
        hook = plugin.hook(hook_name)
        if hook is None:
            return None
        thread = None
        limit = asyncio.timeout(timeout)  # cancels what is awaited below when the time is up
        try:
            async with limit:
                if hook.is_async:
                    result = await hook(**kwargs)
                else:
                    thread = asyncio.wrap_future(
                        self._executor(plugin.name).submit(functools.partial(hook, **kwargs)))
                    result = await asyncio.shield(thread)  # a thread cannot be stopped: never cancel it
                if inspect.isawaitable(result):  # a plain function may hand back a coroutine
                    result = await result
        except TimeoutError:
            if limit.expired():
                raise HardLimitReached(thread if thread is not None and not thread.done() else None) from None
            raise
        return result

    async def run_action(self, plugin: LoadedPlugin, timeout: float, **kwargs: Any) -> Patch | None:
        """Run the action hook; return its Patch or None, or raise PluginFailed naming the plugin."""
        try:
            result = await self.call(plugin, "cardbot_action", timeout, **kwargs)
        except ActionFailed as failure:
            raise PluginFailed(plugin.name, f"declined: {failure}", str(failure)) from None
        except HardLimitReached as cut_off:
            raise PluginFailed(plugin.name, "still running at the hard limit; cut off", timed_out=True,
                               still_running=cut_off.still_running) from None
        except Exception as error:  # noqa: BLE001 - any plugin bug is contained to this click
            log.exception("plugin %r raised in cardbot_action", plugin.name)
            raise PluginFailed(plugin.name, f"raised {type(error).__name__}: {error}") from None
        if result is not None and not isinstance(result, Patch):
            raise PluginFailed(
                plugin.name, f"cardbot_action returned {type(result).__name__}; expected cardbot.Patch or None"
            )
        return result

    def close(self) -> None:
        """Stop accepting work; threads still running a hung hook are left to finish on their own."""
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)

    def _executor(self, name: str) -> DaemonThreadPool:
        executor = self._executors.get(name)
        if executor is None:
            executor = DaemonThreadPool(self._threads, f"plugin-{name}")
            self._executors[name] = executor
        return executor
