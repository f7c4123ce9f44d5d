"""LarkClient against FakeLarkPlatform over real HTTP: tokens, sending, delayed updates, patches, errors."""

from __future__ import annotations

import json
import threading

import pytest

from cardbot.config import LarkSecrets
from cardbot.lark import LarkClient, LarkError
from cardbot.lark.errors import request_id_of
from cardbot.testing import FakeLarkPlatform

SHARED = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "飞书 shared"}]}
EXCLUSIVE = {"elements": [{"tag": "markdown", "content": "mine"}]}
V2 = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "2.0"}]}}


def test_nothing_is_sent_until_a_call(lark):
    LarkClient("cli_test", "secret", lark.base_url)
    LarkClient.from_secrets(LarkSecrets(api_base=lark.base_url))
    assert lark.requests == []


@pytest.mark.parametrize("app_id, app_secret", [(None, "secret"), ("cli_test", None), ("", "")])
def test_missing_credentials_fail_at_the_call(lark, app_id, app_secret):
    client = LarkClient.from_secrets(LarkSecrets(app_id=app_id, app_secret=app_secret, api_base=lark.base_url))
    with pytest.raises(LarkError, match="set LARK_APP_ID and LARK_APP_SECRET"):
        client.send_card("chat_id", "oc_1", SHARED)
    assert lark.requests == []


def test_a_wrong_secret_is_a_lark_error_without_retries(lark, clock):
    client = LarkClient("cli_test", "wrong", lark.base_url, clock=clock, sleep=clock.sleep)
    with pytest.raises(LarkError) as raised:
        client.tenant_access_token()
    assert (raised.value.code, raised.value.http_status) == (10014, 400)
    assert lark.token_requests == 1 and clock.waits == []


def test_one_token_serves_every_call(client, lark):
    message_id = client.send_card("chat_id", "oc_1", SHARED)
    client.patch_message(message_id, V2)
    client.delayed_update("c-1", V2)
    assert lark.token_requests == 1
    api_calls = [request for request in lark.requests if request.kind != "token"]
    issued = lark.requests[0].response["tenant_access_token"]  # what the platform handed out
    assert {request.headers["Authorization"] for request in api_calls} == {f"Bearer {issued}"}
    assert {request.headers["Content-Type"] for request in api_calls} == {"application/json; charset=utf-8"}
    assert "Authorization" not in lark.requests[0].headers


def test_concurrent_callers_share_one_token_request(lark):
    client = LarkClient("cli_test", "secret", lark.base_url)
    lark.delay("token", 0.2)  # every thread arrives while the token request is in flight
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        start.wait()
        try:
            client.send_card("open_id", f"ou_{n}", SHARED)
        except BaseException as error:  # reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert lark.token_requests == 1 and len(lark.messages) == 8
    client.close()


def test_the_token_is_refreshed_30_minutes_before_it_expires(client, lark, clock):
    first = client.tenant_access_token()
    clock.now += 5399
    assert client.tenant_access_token() == first and lark.token_requests == 1
    clock.now += 2  # under 30 minutes left: Lark now hands out a new token
    second = client.tenant_access_token()
    assert second != first and lark.token_requests == 2
    client.send_card("chat_id", "oc_1", SHARED)
    assert lark.requests[-1].headers["Authorization"] == f"Bearer {second}"


def test_a_short_lived_token_is_used_for_half_its_life(clock):
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", expire=60, clock=clock) as lark:
        client = LarkClient("cli_test", "secret", lark.base_url, clock=clock)
        first = client.tenant_access_token()
        clock.now += 29
        assert client.tenant_access_token() == first
        clock.now += 2
        assert client.tenant_access_token() != first and lark.token_requests == 2


def test_a_refused_token_is_fetched_again_once(client, lark):
    client.send_card("chat_id", "oc_1", SHARED)
    lark.expire_tokens()
    client.send_card("chat_id", "oc_2", SHARED)
    assert lark.request_kinds() == [("token", 200), ("send", 200), ("send", 400), ("token", 200), ("send", 200)]
    assert len(lark.messages) == 2


@pytest.mark.parametrize("code", [99991663, 99991661])  # invalid, and missing or malformed, tenant token
def test_a_token_refused_with_either_code_is_fetched_again_once(client, lark, code):
    client.tenant_access_token()
    lark.fail_next("send", code=code)
    client.send_card("chat_id", "oc_1", SHARED)
    assert lark.request_kinds() == [("token", 200), ("send", 400), ("token", 200), ("send", 200)]
    assert len(lark.messages) == 1


@pytest.mark.parametrize("base", [None, ""])
def test_the_api_base_is_feishu_unless_lark_api_base_is_set(base):
    environ = {} if base is None else {"LARK_API_BASE": base}
    assert LarkSecrets.from_env(environ).api_base == "https://open.feishu.cn"
    assert LarkSecrets.from_env({"LARK_API_BASE": "https://open.larksuite.com"}).api_base == "https://open.larksuite.com"


def test_empty_secrets_in_the_environment_count_as_unset():
    secrets = LarkSecrets.from_env({"LARK_VERIFICATION_TOKEN": "", "LARK_ENCRYPT_KEY": "", "LARK_APP_ID": ""})
    assert (secrets.verification_token, secrets.encrypt_key, secrets.app_id) == (None, None, None)
    assert not secrets.can_verify_callbacks


def test_a_token_refused_twice_is_an_error(client, lark, clock):
    client.tenant_access_token()
    lark.fail_next("update", code=99991663, times=2)
    with pytest.raises(LarkError) as raised:
        client.delayed_update("c-1", SHARED)
    assert raised.value.code == 99991663
    assert lark.request_kinds() == [("token", 200), ("update", 400), ("token", 200), ("update", 400)]
    assert clock.waits == []


def test_lark_error_carries_code_msg_and_request_id(client, lark):
    lark.fail_next("send", code=230001, msg="invalid receive_id")
    with pytest.raises(LarkError) as raised:
        client.send_card("chat_id", "oc_1", SHARED)
    request = lark.requests[-1]
    error = raised.value
    assert (error.code, error.msg, error.http_status, error.request_id) == (
        230001, "invalid receive_id", 400, request.request_id)
    assert str(error) == (f"Lark API POST /open-apis/im/v1/messages: code 230001 (invalid receive_id) "
                          f"[request id {request.request_id}]")


def test_the_request_id_falls_back_to_the_body_log_id():
    assert request_id_of({}, {"code": 1, "error": {"log_id": "log-1"}}) == "log-1"
    assert request_id_of({"X-Request-Id": "req-1"}, {"error": {"log_id": "log-1"}}) == "req-1"
    assert request_id_of({}, {"code": 1}) is None


def test_send_card_stores_the_card_under_the_returned_id(client, lark):
    message_id = client.send_card("chat_id", "oc_1", SHARED)
    message = lark.messages[message_id]
    assert (message["card"], message["receive_id"], message["receive_id_type"]) == (SHARED, "oc_1", "chat_id")
    content = lark.requests[-1].json["content"]
    assert json.loads(content) == SHARED and "飞书" in content
    assert len(message["uuid"]) == 32  # generated, so retries of this call cannot post twice


def test_send_card_with_a_uuid_is_idempotent(client, lark):
    first = client.send_card("open_id", "ou_1", SHARED, uuid="release-42")
    assert client.send_card("open_id", "ou_1", SHARED, uuid="release-42") == first
    assert list(lark.messages) == [first] and lark.messages[first]["uuid"] == "release-42"


def test_send_card_checks_the_receive_id_type(client, lark):
    with pytest.raises(ValueError, match="open_id, union_id, user_id, email, chat_id"):
        client.send_card("phone", "123", SHARED)
    assert lark.requests == []


def test_delayed_update_of_a_shared_card(client, lark):
    message_id = client.send_card("chat_id", "oc_1", SHARED)
    token = lark.issue_update_token(message_id, "ou_1")
    client.delayed_update(token, V2)
    assert lark.messages[message_id]["card"] == V2
    assert lark.requests[-1].json == {"token": token, "card": V2}


def test_delayed_update_of_an_exclusive_card_needs_open_ids(client, lark):
    token = lark.issue_update_token(client.send_card("chat_id", "oc_1", EXCLUSIVE), "ou_1")
    with pytest.raises(LarkError) as raised:
        client.delayed_update(token, EXCLUSIVE)
    assert raised.value.code == 300090
    card = {"elements": [{"tag": "markdown", "content": "yours"}]}
    client.delayed_update(token, card, open_ids=["ou_1"])
    assert lark.requests[-1].json["card"] == {**card, "open_ids": ["ou_1"]}
    assert card == {"elements": [{"tag": "markdown", "content": "yours"}]}  # the caller's card is untouched
    assert [(u.open_ids, u.operator) for u in lark.updates] == [(["ou_1"], "ou_1")]


def test_an_update_token_works_twice(client, lark):
    token = lark.issue_update_token(client.send_card("chat_id", "oc_1", V2), "ou_1")
    client.delayed_update(token, V2)
    client.delayed_update(token, V2)
    with pytest.raises(LarkError) as raised:
        client.delayed_update(token, V2)
    assert raised.value.code == 300040 and len(lark.updates) == 2


def test_patch_message_replaces_a_shared_card(client, lark):
    message_id = client.send_card("chat_id", "oc_1", SHARED)
    client.patch_message(message_id, V2)
    assert lark.messages[message_id]["card"] == V2
    assert json.loads(lark.requests[-1].json["content"]) == V2


def test_patch_message_refuses_an_exclusive_card(client, lark):
    message_id = client.send_card("chat_id", "oc_1", EXCLUSIVE)
    with pytest.raises(LarkError) as raised:
        client.patch_message(message_id, SHARED)
    assert raised.value.code == 230099
    assert lark.messages[message_id]["card"] == EXCLUSIVE
