"""Call one plugin's hook safely: `async def` hooks on the plugin's own event loop, plain functions on
the plugin's own threads (see plugin_loops.py and threads.py).

A plugin that raises (anything, SystemExit included), hangs, blocks its loop or returns garbage becomes a
`PluginFailed` for that click only. Each plugin has its own loop and small thread pool, so one that
blocks forever cannot starve the others, nor the serving loop.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from typing import Any

from ..errors import ActionFailed
from ..failures import HookEscaped, describe, readable_message
from ..patches import Patch
from ..registry import LoadedPlugin
from .plugin_loops import PluginLoops, contained
from .threads import DaemonThreadPool

log = logging.getLogger("cardbot.dispatch")


class PluginFailed(Exception):
    """A plugin's hook failed; `reason` (and its translations, `i18n`) is safe to show the clicker, `detail`
    goes to the log. `declined`: the plugin refused on purpose (ActionFailed), no bug."""

    def __init__(self, plugin: str, detail: str, reason: str | None = None, *, timed_out: bool = False,
                 still_running: asyncio.Future | None = None, declined: bool = False,
                 i18n: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.plugin = plugin
        self.detail = detail
        self.reason = reason
        self.i18n = i18n or {}
        self.declined = declined
        self.timed_out = timed_out
        self.still_running = still_running
        """A plain function cut off at the hard limit keeps running on its thread; this settles when it returns."""

    @property
    def outcome(self) -> str:
        """How it ends in the log line and the metrics: `timed_out`, `declined` or `failed`."""
        return "timed_out" if self.timed_out else "declined" if self.declined else "failed"


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
        self._loops = PluginLoops()
        try:
            self._loops.watch_serving(asyncio.get_running_loop())
        except RuntimeError:  # made outside an event loop: nothing serves yet
            pass

    async def call(self, plugin: LoadedPlugin, hook_name: str, timeout: float | None, **kwargs: Any) -> Any:
        """Run `plugin`'s `hook_name` with `kwargs`; return its (awaited) result. Raises what it raises (a
        SystemExit or other BaseException as HookEscaped), or HardLimitReached after `timeout` seconds
        (None: no limit)."""
        found = plugin.hook(hook_name)
        if found is None:
            return None
        hook, kwargs = found.select(kwargs)  # a router's hook: the handler of the matching route
        running: list[asyncio.Future] = []  # work that cannot be stopped at once: a thread, or a hook's task
        limit = asyncio.timeout(timeout)  # cancels what is awaited below when the time is up
        try:
            async with limit:
                if hook.is_async and plugin.shares_serving_loop:  # it promised never to block: no thread hop
                    result = await self._on_serving_loop(plugin.name, hook(**kwargs))
                elif hook.is_async:
                    result = await self._on_plugin_loop(plugin.name, hook(**kwargs), running)
                else:
                    thread = asyncio.wrap_future(
                        self._executor(plugin.name).submit(functools.partial(_contained_call, hook, kwargs)))
                    running.append(thread)
                    result = await asyncio.shield(thread)  # a thread cannot be stopped: never cancel it
                if inspect.isawaitable(result):  # a plain function may hand back a coroutine
                    result = await (self._on_serving_loop(plugin.name, result) if plugin.shares_serving_loop
                                    else self._on_plugin_loop(plugin.name, result, running))
        except TimeoutError:
            if limit.expired():
                still = next((future for future in reversed(running) if not future.done()), None)
                raise HardLimitReached(still) from None
            raise
        return result

    async def _on_serving_loop(self, plugin: str, awaitable: Any) -> Any:
        """Await a hook of a plugin that shares the serving loop, counted so the watchdog can name it."""
        self._loops.on_serving_loop[plugin] += 1
        try:
            return await contained(awaitable)
        finally:
            self._loops.on_serving_loop[plugin] -= 1

    async def _on_plugin_loop(self, plugin: str, awaitable: Any, running: list[asyncio.Future]) -> Any:
        """Await `awaitable` on the plugin's own loop; when we stop waiting, the hook is cancelled there."""
        loop = self._loops.of(plugin)
        submitted = loop.submit(awaitable)
        task = asyncio.wrap_future(submitted)
        running.append(task)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            loop.cancel(submitted)
            raise

    async def run_action(self, plugin: LoadedPlugin, timeout: float, hook: str = "cardbot_action",
                         **kwargs: Any) -> Patch | None:
        """Run a hook that answers with a Patch (`cardbot_action`, `cardbot_timer`); return its Patch or None,
        or raise PluginFailed naming the plugin."""
        try:
            result = await self.call(plugin, hook, timeout, **kwargs)
        except ActionFailed as failure:
            reason = readable_message(failure)
            raise PluginFailed(plugin.name, f"declined: {reason}", reason or None, declined=True,
                               i18n=getattr(failure, "i18n", None)) from None
        except HardLimitReached as cut_off:
            raise PluginFailed(plugin.name, "still running at the hard limit; cut off", timed_out=True,
                               still_running=cut_off.still_running) from None
        except HookEscaped as escaped:
            log.error("plugin %r raised %s in %s; the click failed, the bot goes on", plugin.name,
                      describe(escaped.error), hook)
            raise PluginFailed(plugin.name, f"raised {describe(escaped.error)}") from None
        except Exception as error:  # noqa: BLE001 - any plugin bug is contained to this click
            log.exception("plugin %r raised in %s", plugin.name, hook)
            raise PluginFailed(plugin.name, f"raised {describe(error)}") from None
        if result is not None and not isinstance(result, Patch):
            raise PluginFailed(
                plugin.name, f"{hook} returned {type(result).__name__}; expected cardbot.Patch or None"
            )
        return result

    def close(self) -> None:
        """Stop accepting work; threads still running a hung hook are left to finish on their own."""
        for executor in self._executors.values():
            executor.shutdown(wait=False, cancel_futures=True)
        self._loops.close()

    def _executor(self, name: str) -> DaemonThreadPool:
        executor = self._executors.get(name)
        if executor is None:
            executor = DaemonThreadPool(self._threads, f"plugin-{name}")
            self._executors[name] = executor
        return executor


def _contained_call(hook: Any, kwargs: dict[str, Any]) -> Any:
    """Call a plain hook on its thread; a non-Exception BaseException it raises becomes HookEscaped."""
    try:
        return hook(**kwargs)
    except Exception:
        raise
    except BaseException as error:  # noqa: BLE001 - SystemExit from a plugin must not end its thread's work
        raise HookEscaped(error) from None
