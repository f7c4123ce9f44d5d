"""The outbox, timers, the dispatcher role, send-time state and card lifetime through the Store, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import time

from cardbot.clicks.push import LatePusher
from cardbot.lark import LarkClient
from cardbot.protocol import CallbackAuth, open_envelope, parse_action
from cardbot.store import Store
from cardbot.store import clicks
from cardbot.store.effects import Effects, OutboxEntry, TimerChange
from cardbot.testing import FakeLarkPlatform, LarkCallbacks

from backends import open_at

CARD = '{"schema": "2.0", "body": {"elements": []}}'
DAY = 86400.0


def run(database, work):
    async def go():
        async with await open_at(database) as store:
            return await work(store)
    return asyncio.run(go())


def entry(entry_id: str = "row1", receive_id: str = "oc_1") -> OutboxEntry:
    return OutboxEntry(entry_id, "p", "send", "chat_id", receive_id, "interactive", CARD, '{"amount": 120}')


async def finish_with(store: Store, delivery: str, effects: Effects) -> bool:
    await store.claim_click(delivery, "om_x", "proc/1", lease_holder=None, lease_seconds=0)
    return await store.finish_click(delivery, "om_x", "proc/1", clicks.DONE, None, None, "p", effects=effects)


def test_a_sent_row_stores_its_card_with_its_state_once(database):
    async def work(store):
        await finish_with(store, "v2:e1", Effects("v2:e1", "om_x", outbox=(entry(),)))
        [row] = await store.take_outbox("proc", 10)
        assert await store.record_sent(row, "om_sent") is True
        assert await store.record_sent(row, "om_sent") is False  # a second taker's record changes nothing
        assert await store.take_outbox("proc", 10) == []
        shown = await store.show_card("om_sent")
        state = await store.state("p", "om_sent")
        return shown["version"], shown["sent_at"] is not None, state

    version, has_sent_at, state = run(database, work)
    assert (version, has_sent_at) == (1, True) and state == (("om_sent", "amount", "120"),)


def test_a_delivery_recorded_interrupted_commits_nothing_it_asked_for(database):
    async def work(store):
        await store.claim_click("v2:e2", "om_x", "dead/1", lease_holder=None, lease_seconds=0)
        await store.leave("dead")  # its process stopped: the delivery is recorded interrupted
        recorded = await store.finish_click("v2:e2", "om_x", "dead/1", clicks.DONE, None, None, "p",
                                            effects=Effects("v2:e2", outbox=(entry(),)))
        return recorded, await store.take_outbox("proc", 10)

    assert run(database, work) == (False, [])


def test_retries_wait_and_a_failure_is_final(database):
    async def work(store):
        await finish_with(store, "v2:e3", Effects("v2:e3", outbox=(entry("a"), entry("b"))))
        first, second = await store.take_outbox("proc", 10)
        await store.record_retry(first, 60, "HTTP 503")
        await store.record_failed(second, "code 230002")
        return await store.take_outbox("proc", 10), await store.next_work_at()

    rows, next_at = run(database, work)
    assert rows == [] and next_at > time.time() + 50


def test_timers_are_set_replaced_cancelled_and_wait_for_their_card(database):
    async def work(store):
        past = time.time() - 1
        await store.commit_effects(Effects("startup:p", outbox=(entry("send1"),), timers=(
            TimerChange("p", "a", past, '{"n": 1}', generation="g1"),
            TimerChange("p", "b", past, None, outbox_id="send1", generation="g2"),
            TimerChange("p", "c", past, None, generation="g3"))))
        await store.commit_effects(Effects("x", timers=(TimerChange("p", "c", None),
                                                          TimerChange("p", "a", past, '{"n": 2}', generation="g4"))))
        before = [(t.key, t.payload, t.generation) for t in await store.due_timers(10)]
        [row] = await store.take_outbox("proc", 10)
        await store.record_sent(row, "om_card")
        after = [(t.key, t.card_id) for t in await store.due_timers(10)]
        listed = [t["key"] for t in await store.list_timers()]
        return before, after, listed

    before, after, listed = run(database, work)
    assert before == [("a", '{"n": 2}', "g4")]  # b waits for its card's send; c was cancelled
    assert after == [("a", None), ("b", "om_card")]
    assert listed == ["a", "b"]


def test_one_process_holds_the_dispatcher_role_until_it_lapses_or_is_given_up(database):
    async def work(store):
        taken = [await store.hold_role("dispatcher", "a", 30), await store.hold_role("dispatcher", "b", 30),
                 await store.hold_role("dispatcher", "a", 30)]
        await store.release_role("dispatcher", "a")
        taken.append(await store.hold_role("dispatcher", "b", 0.01))
        await asyncio.sleep(0.05)
        taken.append(await store.hold_role("dispatcher", "a", 30))
        return taken

    assert run(database, work) == [True, False, True, True, True]


def test_cards_unchanged_past_their_retention_go_with_their_history_and_state(database):
    async def work(store):
        await store.put_card("om_old", CARD)
        await store.put_card("om_new", CARD)
        await store.put_state("p", "om_old", {"k": "1"})
        await store.put_state("p", "om_new", {"k": "1"})
        await store.put_state("p", "", {"wide": "1"})
        await store.write(_age, "om_old", 40 * DAY)
        kept = await store.prune(DAY, None, None)
        deleted = await store.prune(DAY, None, 30 * DAY)
        return kept, deleted, await store.card("om_old"), await store.card("om_new"), await store.state("p", "om_old")

    kept, deleted, old, new, state = run(database, work)
    assert "cards" not in kept or kept["cards"] == 0
    assert deleted["cards"] == 1 and deleted["plugin_state"] == 1 and deleted["history"] == 1
    assert old is None and new is not None and state == (("", "wide", "1"),)


def test_a_late_push_of_a_card_sent_over_14_days_ago_is_skipped_and_recorded(database):
    async def work(store):
        await store.put_sent_card("om_aged", '{"config": {"update_multi": true}, "elements": []}')
        await store.write(_age, "om_aged", 15 * DAY)
        with FakeLarkPlatform() as lark:
            kit = LarkCallbacks("vt")
            body, headers = kit.legacy_card_action(message_id="om_aged", value={"button_type": "x"})
            action = parse_action(open_envelope(body, headers, CallbackAuth("vt", None), peer_is_loopback=False))
            with LarkClient("cli_test", "secret", lark.base_url) as client:
                await LatePusher(client, store).push(action)
            shown = await store.show_card("om_aged", history=True)
            return lark.request_kinds(), shown["history"][0]["pushes"]

    kinds, pushes = run(database, work)
    assert kinds == []
    assert [(push["accepted"], push["detail"]) for push in pushes] == [(False, "older than 14 days")]


async def _age(tx, message_id: str, seconds: float) -> None:
    """Make a card look `seconds` older (sent, created and last changed)."""
    then = time.time() - seconds
    await tx.run("UPDATE cards SET created_at = ?, updated_at = ?, sent_at = CASE WHEN sent_at IS NULL THEN NULL "
                 "ELSE ? END WHERE message_id = ?", (then, then, then, message_id))
    await tx.run("UPDATE history SET created_at = ? WHERE message_id = ?", (then, message_id))



def test_a_timer_waiting_for_its_cards_send_does_not_make_the_dispatcher_look_at_once(database):
    async def work(store):
        await store.commit_effects(Effects("startup:p", outbox=(entry("waits"),), timers=(
            TimerChange("p", "after-the-send", time.time() - 5, None, outbox_id="waits", generation="g1"),)))
        [row] = await store.take_outbox("proc", 10)
        await store.record_retry(row, 60, "HTTP 503")  # the card's send is tried again in a minute
        return await store.due_timers(10), await store.next_work_at()

    due, next_at = run(database, work)
    assert due == [] and next_at > time.time() + 50  # the retry's time, not the overdue timer's (a busy loop)
