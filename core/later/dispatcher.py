"""`Dispatcher`: after the commit, send what the outbox holds and run the timers that are due, in one process
at a time across all workers and hosts (the one holding the `dispatcher` role), within Lark's rate limits.

    dispatcher = Dispatcher(store, lark, timer_runs, process_token, settings)
    task = asyncio.create_task(dispatcher.run())
    dispatcher.wake()          # something was just committed to the outbox or the timers
    await dispatcher.stop()    # takes no new work from here on; gives the role up

One sender per app makes the rate limits (50 calls a second per app, 5 per message) simple to keep, also when
many overdue timers fire at once after a restart. The role lasts `[bot] host_timeout` and is renewed on every
round: when its process dies, another takes it within that time and sends what is left (rows taken and not
recorded are sent again under the same Lark uuid, so nothing is posted twice).
"""

from __future__ import annotations

import asyncio
import logging
import time

from ..config import BotSettings
from ..errors import StoreBusy
from ..lark import LarkClient
from ..store import Store
from .rate import RateLimit
from .sending import OutboxSender
from .timer_runs import TimerRuns

log = logging.getLogger("cardbot.dispatcher")
ROLE = "dispatcher"
IDLE_SECONDS = 1.0
"""How often the role holder looks for work when nothing woke it (work committed by other processes)."""
BATCH = 50


class Dispatcher:
    """Sends the outbox and runs due timers while this process holds the dispatcher role."""

    def __init__(self, store: Store, lark: LarkClient, timer_runs: TimerRuns, process: str,
                 settings: BotSettings, rate: RateLimit | None = None) -> None:
        self._store = store
        self._process = process
        self._settings = settings
        self._timer_runs = timer_runs
        self._sender = OutboxSender(store, lark, rate or RateLimit(), holder=process)
        self._woken = asyncio.Event()
        self._stopping = False
        self._holding = False

    def wake(self) -> None:
        """Look for work now (this process just committed outbox rows or timers)."""
        self._woken.set()

    async def run(self) -> None:
        """Until `stop`: hold the role, send, run timers; wait for a wake-up or the next due time."""
        while not self._stopping:
            delay = self._settings.host_timeout / 4
            try:
                if await self._store.hold_role(ROLE, self._process, self._settings.host_timeout):
                    if not self._holding:
                        log.info("this process sends the outbox and runs timers now")
                    self._holding = True
                    delay = await self._round()
                else:
                    self._holding = False
            except StoreBusy as busy:
                log.warning("the dispatcher waits for the database (%s)", busy.state)
            except Exception:  # noqa: BLE001 - the dispatcher must outlive any one failure
                log.exception("the dispatcher failed a round; it tries again")
            await self._sleep(delay)

    async def _round(self) -> float:
        """Send what is due, run the timers that are due; seconds until it should look again."""
        busy = await self._sender.send_due(BATCH)
        if not self._stopping:
            ran = await asyncio.gather(*(self._timer_runs.run(due) for due in await self._store.due_timers(BATCH)))
            busy = any(ran) or busy
        if busy:
            return 0.0
        next_at = await self._store.next_work_at()
        if next_at is None or next_at <= time.time():  # nothing, or only what this process cannot run (a timer of
            until_due = IDLE_SECONDS                      # a plugin not enabled here): look again in a while
        else:
            until_due = next_at - time.time()
        return min(until_due, IDLE_SECONDS, self._settings.host_timeout / 4)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._woken.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._woken.clear()

    async def stop(self) -> None:
        """Take no new work (a timer due from now on runs in the next process to hold the role); give it up."""
        self._stopping = True
        self._woken.set()
        if self._holding:
            try:
                await self._store.release_role(ROLE, self._process)
            except StoreBusy:
                pass  # it lapses after host_timeout
