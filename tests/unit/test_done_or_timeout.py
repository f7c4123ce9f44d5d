"""`done_or_timeout`: the per-click wait for a click's work or its deadline, whichever comes first."""

from __future__ import annotations

import asyncio

import pytest

from cardbot.clicks.pipeline import done_or_timeout


async def finishes(after: float) -> str:
    await asyncio.sleep(after)
    return "done"


def test_it_returns_when_the_work_is_done_and_leaves_no_callback_behind():
    async def main():
        work = asyncio.create_task(finishes(0))
        await done_or_timeout(work, 5)
        assert work.done() and work.result() == "done"

    asyncio.run(main())


def test_past_the_timeout_it_returns_and_the_work_goes_on():
    async def main():
        work = asyncio.create_task(finishes(0.2))
        await done_or_timeout(work, 0.01)
        assert not work.done()
        assert await work == "done"

    asyncio.run(main())


def test_a_cancelled_wait_does_not_cancel_the_work():
    async def main():
        work = asyncio.create_task(finishes(0.05))
        waiting = asyncio.create_task(done_or_timeout(work, 5))
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert await work == "done"

    asyncio.run(main())


def test_a_negative_time_left_is_no_wait_at_all():
    async def main():
        work = asyncio.create_task(finishes(0.2))
        await done_or_timeout(work, -1)
        assert not work.done()
        work.cancel()

    asyncio.run(main())
