"""The dispatcher takes no new work once it is stopping: a timer that comes due then runs in the next process."""

from __future__ import annotations

import asyncio
import time

from cardbot.config import BotSettings
from cardbot.later import Dispatcher
from cardbot.lark import LarkClient
from cardbot.store.effects import Effects, TimerChange

from backends import open_at


class RecordingRuns:
    """Stands in for TimerRuns: records which timers it was asked to run."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    async def run(self, due) -> bool:
        self.ran.append(due.key)
        return True


def test_a_stopping_dispatcher_runs_no_timer_and_gives_its_role_up(database):
    async def work():
        async with await open_at(database) as store:
            await store.commit_effects(Effects("startup:p", timers=(
                TimerChange("p", "due", time.time() - 1, None, generation="g1"),)))
            runs = RecordingRuns()
            with LarkClient("cli_test", "secret", "http://127.0.0.1:9") as lark:
                dispatcher = Dispatcher(store, lark, runs, "proc-a", BotSettings(database=database))  # type: ignore[arg-type]
                await dispatcher.stop()  # shutdown begins before its first round
                await asyncio.wait_for(dispatcher.run(), timeout=5)
                stopped_ran = list(runs.ran)
                other = Dispatcher(store, lark, runs, "proc-b", BotSettings(database=database))  # type: ignore[arg-type]
                task = asyncio.create_task(other.run())
                for _ in range(100):
                    if runs.ran:
                        break
                    await asyncio.sleep(0.05)
                await other.stop()
                await asyncio.wait_for(task, timeout=5)
            return stopped_ran, runs.ran

    stopped_ran, ran = asyncio.run(work())
    assert stopped_ran == []    # the stopping process took nothing
    assert ran[:1] == ["due"]   # the next process ran it
