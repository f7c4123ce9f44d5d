"""What LarkClient retries, how often and how long it waits: recorded by a fake sleep, never timed."""

from __future__ import annotations

import pytest
import requests

from cardbot.lark import LarkClient, LarkError, RetryPolicy
from cardbot.testing import FakeLarkPlatform, free_port

CARD = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "hi"}]}


@pytest.fixture
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as platform:
        yield platform


def make_client(lark, clock, **options):
    return LarkClient("cli_test", "secret", lark.base_url, clock=clock, sleep=clock.sleep, **options)


def sends(lark):
    return [request.status for request in lark.requests if request.kind == "send"]


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 503, "body": {"code": 1, "msg": "busy"}},
        {"status": 429, "code": 99991400},
        {"status": 400, "code": 99991400},  # older APIs answer the rate limit with 400
        {"code": 230020},  # message-level rate limit
    ],
)
def test_transient_failures_are_retried(lark, clock, failure):
    lark.fail_next("send", times=2, **failure)
    message_id = make_client(lark, clock).send_card("chat_id", "oc_1", CARD)
    assert list(lark.messages) == [message_id]
    assert len(sends(lark)) == 3 and sends(lark)[-1] == 200
    assert len(clock.waits) == 2
    assert 0.25 <= clock.waits[0] <= 0.5 and 0.5 <= clock.waits[1] <= 1.0


def test_every_retry_of_a_send_carries_the_same_uuid(lark, clock):
    lark.fail_next("send", status=502, times=3)
    make_client(lark, clock).send_card("chat_id", "oc_1", CARD)
    assert len({request.json["uuid"] for request in lark.requests if request.kind == "send"}) == 1


def test_a_timed_out_send_is_retried_without_posting_twice(lark, clock):
    lark.delay("send", 0.5)  # the first answer comes after the client gave up waiting
    client = make_client(lark, clock, timeout=(3.05, 0.2))
    message_id = client.send_card("chat_id", "oc_1", CARD)
    lark.wait_for(lambda seen: all(request.status for request in seen))
    assert len(sends(lark)) == len(clock.waits) + 1 >= 2
    assert list(lark.messages) == [message_id]


def test_the_rate_limit_reset_header_sets_the_wait(lark, clock):
    lark.fail_next("update", status=429, code=99991400, headers={"x-ogw-ratelimit-reset": "3"})
    make_client(lark, clock).delayed_update("c-1", CARD)
    assert len(clock.waits) == 1 and clock.waits[0] >= 3


def test_a_reset_beyond_the_time_budget_is_not_waited_for(lark, clock):
    lark.fail_next("send", status=429, code=99991400, headers={"x-ogw-ratelimit-reset": "30"})
    with pytest.raises(LarkError) as raised:
        make_client(lark, clock).send_card("chat_id", "oc_1", CARD)
    assert raised.value.code == 99991400 and raised.value.http_status == 429
    assert clock.waits == [] and len(sends(lark)) == 1


def test_retries_stop_after_max_attempts(lark, clock):
    lark.fail_next("patch", status=500, times=10)
    with pytest.raises(LarkError) as raised:
        make_client(lark, clock, max_attempts=4).patch_message("om_1", CARD)
    assert (raised.value.http_status, raised.value.code, raised.value.msg) == (500, None, "Internal Server Error")
    assert str(raised.value).startswith("Lark API PATCH /open-apis/im/v1/messages/om_1: HTTP 500")
    assert len([r for r in lark.requests if r.kind == "patch"]) == 4 and len(clock.waits) == 3
    assert all(wait <= 4.0 for wait in clock.waits)


@pytest.mark.parametrize("budget", [0.0, 1.0, 2.5])
def test_retries_stop_within_max_retry_seconds(lark, clock, budget):
    lark.fail_next("send", status=500, times=10)
    with pytest.raises(LarkError):
        make_client(lark, clock, max_attempts=10, max_retry_seconds=budget).send_card("chat_id", "oc_1", CARD)
    assert sum(clock.waits) <= budget
    assert len(sends(lark)) == len(clock.waits) + 1


@pytest.mark.parametrize(
    "failure, code",
    [
        ({"code": 230001}, 230001),
        ({"code": 230099, "status": 200}, 230099),
        ({"status": 404}, None),
        ({"status": 403, "code": 99991672}, 99991672),
    ],
)
def test_other_failures_are_not_retried(lark, clock, failure, code):
    lark.fail_next("send", **failure)
    with pytest.raises(LarkError) as raised:
        make_client(lark, clock).send_card("chat_id", "oc_1", CARD)
    assert raised.value.code == code
    assert len(sends(lark)) == 1 and clock.waits == []


def test_the_token_request_is_retried_too(lark, clock):
    lark.fail_next("token", status=503)
    make_client(lark, clock).send_card("chat_id", "oc_1", CARD)
    assert [(r.kind, r.status) for r in lark.requests] == [("token", 503), ("token", 200), ("send", 200)]
    assert len(clock.waits) == 1


def test_connection_refused_is_retried_then_a_lark_error(clock):
    client = LarkClient("cli_test", "secret", f"http://127.0.0.1:{free_port()}", clock=clock, sleep=clock.sleep)
    with pytest.raises(LarkError, match="no answer") as raised:
        client.tenant_access_token()
    assert (raised.value.code, raised.value.http_status) == (None, None)
    assert isinstance(raised.value.__cause__, requests.ConnectionError)
    assert len(clock.waits) == 3


def test_the_policy_waits_grow_and_respect_both_bounds():
    low, high = RetryPolicy(jitter=lambda: 0.0), RetryPolicy(jitter=lambda: 1.0)
    assert [low.wait(n) for n in (1, 2, 3, 4, 5)] == [0.25, 0.5, 1.0, 2.0, 2.0]
    assert [high.wait(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert high.wait(1, reset_seconds=7) == 7
    assert high.allows(3, elapsed=5.0, wait=5.0) and not high.allows(4, elapsed=0.0, wait=0.5)
    assert not high.allows(1, elapsed=6.0, wait=4.5)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
