"""What a hook collects in `outbox` and `timers`, and the rate limit the dispatcher sends within."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone

import pytest

from cardbot import CardInvalid
from cardbot.later import Outbox, Outgoing, Timers
from cardbot.later.rate import RateLimit
from cardbot.later.sending import backoff, is_transient
from cardbot.lark import LarkError

CARD = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "hi"}]}


def test_the_outbox_records_sends_replies_and_texts_in_order():
    outbox = Outbox("approvals")
    card = outbox.send_card(CARD, open_id="ou_1", state={"amount": 120})
    outbox.reply("om_1", text="Done", in_thread=True)
    outbox.send_text("Hello", chat_id="oc_1")
    entries = outbox.entries()
    assert [(e.kind, e.receive_id_type, e.receive_id, e.msg_type) for e in entries] == [
        ("send", "open_id", "ou_1", "interactive"), ("reply", None, "om_1", "text"), ("send", "chat_id", "oc_1", "text")]
    assert isinstance(card, Outgoing) and card.id == entries[0].id and len({e.id for e in entries}) == 3
    assert json.loads(entries[0].state) == {"amount": 120} and entries[1].in_thread
    assert all(len(e.id) <= 50 for e in entries)  # Lark's uuid limit


@pytest.mark.parametrize("call, error", [
    (lambda o: o.send_card({"elements": [{"tag": "markdown", "content": "x" * 40000}]}, open_id="ou_1"), CardInvalid),
    (lambda o: o.send_card(CARD), ValueError),                          # no receiver
    (lambda o: o.send_card(CARD, open_id="ou_1", chat_id="oc_1"), ValueError),
    (lambda o: o.send_card(CARD, open_id="ou_1", state={"x": {1, 2}}), TypeError),
    (lambda o: o.send_text("", chat_id="oc_1"), ValueError),
    (lambda o: o.reply("om_1"), ValueError),                             # neither text nor card
    (lambda o: o.reply("", text="x"), ValueError),
])
def test_a_wrong_request_is_refused_at_once(call, error):
    outbox = Outbox("p")
    with pytest.raises(error):
        call(outbox)
    assert outbox.entries() == ()


def test_timers_schedule_at_or_after_and_the_last_change_of_a_key_wins():
    timers = Timers("p", clock=lambda: 1000.0)
    timers.schedule("a", after=60, payload={"n": 1})
    timers.schedule("b", at=datetime(2030, 1, 1, tzinfo=timezone.utc), card="om_1")
    timers.schedule("c", after=timedelta(minutes=2), card=Outgoing("abc"))
    timers.schedule("a", after=5)
    timers.cancel("c")
    changes = {change.key: change for change in timers.changes()}
    assert changes["a"].due_at == 1005.0 and changes["a"].payload == "null"
    assert changes["b"].due_at == datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp() and changes["b"].card_id == "om_1"
    assert changes["c"].due_at is None  # cancelled
    assert [change.key for change in timers.changes()] == ["a", "b", "c"]


@pytest.mark.parametrize("kwargs, error", [
    ({}, ValueError), ({"at": 1, "after": 1}, ValueError), ({"at": datetime(2030, 1, 1)}, ValueError),
    ({"after": "soon"}, TypeError), ({"after": 1, "payload": {1, 2}}, TypeError), ({"after": 1, "card": 5}, TypeError),
])
def test_a_wrong_timer_is_refused_at_once(kwargs, error):
    with pytest.raises(error):
        Timers("p").schedule("k", **kwargs)
    with pytest.raises(ValueError):
        Timers("p").schedule("", after=1)


def test_the_rate_limit_keeps_to_the_app_and_the_per_message_limits():
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def run() -> list[tuple[str, float]]:
        limit = RateLimit(per_app=50, per_target=5, clock=lambda: now[0], sleep=sleep)
        sent = []
        for index in range(120):
            target = "om_hot" if index < 20 else f"oc_{index}"
            await limit.wait(target)
            sent.append((target, now[0]))
        return sent

    sent = asyncio.run(run())
    for start in [t for _, t in sent]:
        in_window = [s for s in sent if start <= s[1] < start + 1.0]
        assert len(in_window) <= 50
        assert sum(target == "om_hot" for target, _ in in_window) <= 5
    assert len(sent) == 120 and now[0] >= 2.0  # 120 calls at 50 a second take over 2 s; 20 to om_hot over 3 s
    assert [t for target, t in sent if target == "om_hot"][-1] >= 3.0


def test_transient_failures_are_tried_again_with_growing_waits():
    assert is_transient(LarkError("no answer")) and is_transient(LarkError("x", http_status=503))
    assert is_transient(LarkError("x", http_status=400, code=99991400))
    assert not is_transient(LarkError("x", http_status=400, code=230002))
    assert [backoff(n) for n in (1, 2, 3, 10, 20)] == [1.0, 2.0, 4.0, 300.0, 300.0]
