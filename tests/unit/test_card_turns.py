"""CardTurns on a real SQLite store: a repeat never waits for its first copy while holding the card's lock.

Two copies of one delivery reach one process together. On PostgreSQL their claims run on separate
connections, so the copy that queued second can own the delivery: the first then finds it `earlier` and
waits for it. It must do so outside the card's lock, or the owner (queued behind that lock) cannot run
until the deadline cuts the waiter off (found by tests/test_multi_host.py, about one run in seven).
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from cardbot.clicks.pipeline import Click
from cardbot.clicks.turns import CardTurns
from cardbot.store.clicks import DONE
from cardbot.store.sqlite import SqliteStore

CARD = '{"schema": "2.0", "body": {"elements": []}}'


class FirstClaimLate(SqliteStore):
    """The real store, except that click X's claim reaches the database only after click Y's."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.y_claimed = asyncio.Event()

    async def claim_click(self, delivery_id, message_id, holder, **options):
        if holder == "proc/x":
            await self.y_claimed.wait()
        claim = await super().claim_click(delivery_id, message_id, holder, **options)
        if holder == "proc/y":
            self.y_claimed.set()
        return claim


def click(holder: str) -> Click:
    return Click(SimpleNamespace(card_id="om_1", delivery_id="v2:evt"), 0.0, holder)  # type: ignore[arg-type]


def test_a_copy_that_finds_its_first_copy_queued_behind_it_waits_outside_the_lock(tmp_path):
    async def run():
        store = FirstClaimLate(tmp_path / "cardbot.db")
        await store.put_card("om_1", CARD)
        turns = CardTurns(store, lease_seconds=60, hard_limit=10)
        owner_done = asyncio.Event()
        seen = {}

        async def copy_x():
            async with turns.card(click("proc/x"), plugin="p") as turn:
                seen["x"] = turn
                await asyncio.wait_for(owner_done.wait(), 5)  # what the pipeline's _repeat does

        async def copy_y():
            await asyncio.sleep(0.05)  # arrives while X holds the card's lock
            async with turns.card(click("proc/y"), plugin="p") as turn:
                seen["y"] = turn
                await turns.finish(turn, click("proc/y"), DONE, None, None, "p")
            owner_done.set()

        await asyncio.gather(copy_x(), copy_y())
        delivery = await store.delivery("v2:evt")
        await store.close()
        return seen, delivery

    seen, delivery = asyncio.run(run())
    assert seen["x"].earlier is not None and not seen["x"].held
    assert seen["y"].held and delivery.status == DONE
