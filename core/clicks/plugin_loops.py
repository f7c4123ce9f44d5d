"""Each plugin's async hooks run on an event loop of its own, on a thread of its own.

    loops = PluginLoops()
    running = loops.of("vote").submit(hook(**kwargs))   # a concurrent Future, settled when the hook ends
    loops.of("vote").cancel(running)                    # at the hard limit

So an `async def` hook that blocks (a `time.sleep`, a blocking client) stalls only its own plugin's
hooks, never the serving loop: other clicks, `/healthz` and the deadline's "processing" answer go on.
All hooks of one plugin share its loop, so what `cardbot_startup` creates there (a client, a session)
works in `cardbot_action` too. A watchdog names a plugin whose loop stays blocked.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
import time
from typing import Any, Awaitable

from ..failures import HookEscaped

log = logging.getLogger("cardbot.dispatch")
TICK_SECONDS = 0.1
"""How often a plugin loop records that it is still turning."""
STALL_SECONDS = 1.0
"""A plugin loop that has not turned for this long is reported as blocked."""


async def contained(awaitable: Awaitable[Any]) -> Any:
    """Await `awaitable`; a non-Exception BaseException it raises (but cancellation) becomes HookEscaped."""
    try:
        return await awaitable
    except (Exception, asyncio.CancelledError):
        raise
    except BaseException as error:  # noqa: BLE001 - SystemExit and friends are plugin failures too
        raise HookEscaped(error) from None


class Heartbeat:
    """Records, every TICK_SECONDS, that an event loop still turns; the watchdog reads it from its thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.last_turn = time.monotonic()
        self.blocked_since: float | None = None
        """When the watchdog found the loop blocked (None: turning)."""
        loop.call_soon_threadsafe(self._tick)

    def stalled_for(self, now: float) -> float:
        """Seconds since the loop last turned, beyond its regular tick."""
        return max(0.0, now - self.last_turn - TICK_SECONDS)

    def _tick(self) -> None:
        self.last_turn = time.monotonic()
        self.loop.call_later(TICK_SECONDS, self._tick)


class PluginLoop:
    """One plugin's event loop, turning on a daemon thread named `plugin-NAME-loop`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop = asyncio.new_event_loop()
        self.heartbeat = Heartbeat(self.loop)
        self._tasks: dict[concurrent.futures.Future, asyncio.Future] = {}
        self._thread = threading.Thread(target=self._run, name=f"plugin-{name}-loop", daemon=True)
        self._thread.start()

    def submit(self, awaitable: Awaitable[Any]) -> concurrent.futures.Future:
        """Run `awaitable` on this loop; the returned Future settles only when it has really ended."""
        running: concurrent.futures.Future = concurrent.futures.Future()

        def start() -> None:
            task = asyncio.ensure_future(contained(awaitable))
            self._tasks[running] = task
            task.add_done_callback(lambda done: self._settle(running, done))

        self.loop.call_soon_threadsafe(start)
        return running

    def cancel(self, running: concurrent.futures.Future) -> None:
        """Ask the hook behind `running` to stop (it is cancelled when its loop next turns)."""
        def cancel_task() -> None:
            task = self._tasks.get(running)
            if task is not None:
                task.cancel()

        self.loop.call_soon_threadsafe(cancel_task)

    def close(self) -> None:
        """Stop the loop once it turns (a hook blocking it keeps the daemon thread until it returns)."""
        self.loop.call_soon_threadsafe(self.loop.stop)

    def _settle(self, running: concurrent.futures.Future, task: asyncio.Future) -> None:
        self._tasks.pop(running, None)
        try:
            if task.cancelled():
                running.cancel()
            elif task.exception() is not None:
                running.set_exception(task.exception())
            else:
                running.set_result(task.result())
        except concurrent.futures.InvalidStateError:  # cancelled from the serving side meanwhile
            pass

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


class PluginLoops:
    """The event loops of one process's plugins, created on first use, and the watchdog that watches them
    and the serving loop (which runs the async hooks of plugins that share it)."""

    def __init__(self) -> None:
        self._loops: dict[str, PluginLoop] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._serving: Heartbeat | None = None
        self.on_serving_loop: collections.Counter[str] = collections.Counter()
        """Hooks running on the serving loop now, by plugin (those with CARDBOT_SHARES_SERVING_LOOP)."""
        self._watchdog = threading.Thread(target=self._watch, name="cardbot-plugin-watchdog", daemon=True)
        self._watchdog.start()

    def of(self, plugin: str) -> PluginLoop:
        """The loop of `plugin`'s async hooks."""
        loop = self._loops.get(plugin)
        if loop is None:
            with self._lock:
                loop = self._loops.get(plugin) or PluginLoop(plugin)
                self._loops[plugin] = loop
        return loop

    def watch_serving(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch the serving loop too: blocked, it answers nothing, so the log must say so and by whom."""
        self._serving = Heartbeat(loop)

    def close(self) -> None:
        """Stop every loop and the watchdog."""
        self._closed.set()
        for loop in self._loops.values():
            loop.close()

    def _watch(self) -> None:
        while not self._closed.wait(TICK_SECONDS):
            now = time.monotonic()
            for loop in list(self._loops.values()):
                _report(loop.heartbeat, now,
                        f"plugin {loop.name!r} has blocked its event loop for %.1f s: an async hook is running "
                        "blocking code (make it a plain def, or await asyncio.to_thread(...)); its other async "
                        "hooks wait meanwhile, the rest of the bot does not",
                        f"plugin {loop.name!r}'s event loop runs again after %.1f s blocked")
            if self._serving is not None:
                running = sorted(name for name, count in self.on_serving_loop.items() if count)
                who = (f"while plugin(s) {', '.join(map(repr, running))} ran on it (CARDBOT_SHARES_SERVING_LOOP "
                       "promises their async hooks never block)" if running else "(no plugin hook ran on it)")
                _report(self._serving, now, f"the serving loop has been blocked for %.1f s {who}: this worker "
                        "answers nothing meanwhile", "the serving loop runs again after %.1f s blocked")


def _report(heartbeat: Heartbeat, now: float, blocked: str, recovered: str) -> None:
    """Log once when a loop is found blocked, and once when it turns again."""
    stalled = heartbeat.stalled_for(now)
    if stalled >= STALL_SECONDS and heartbeat.blocked_since is None:
        heartbeat.blocked_since = now - stalled
        log.warning(blocked, stalled)
    elif stalled < STALL_SECONDS and heartbeat.blocked_since is not None:
        log.warning(recovered, heartbeat.last_turn - heartbeat.blocked_since)
        heartbeat.blocked_since = None
