"""FakeLarkPlatform plays Lark's rules (lark-protocol.md §7), checked with plain HTTP requests, no client."""

from __future__ import annotations

import json
import threading

import pytest
import requests

from cardbot.testing import FakeLarkPlatform

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
MESSAGES = "/open-apis/im/v1/messages"
UPDATE = "/open-apis/interactive/v1/card/update"
SHARED = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "shared"}]}
EXCLUSIVE = {"elements": [{"tag": "markdown", "content": "mine"}]}
V2 = {"schema": "2.0", "body": {"elements": [{"tag": "markdown", "content": "2.0"}]}}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def lark(clock):
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", clock=clock) as platform:
        yield platform


def get_token(lark, secret="secret"):
    return requests.post(lark.base_url + TOKEN_PATH, json={"app_id": "cli_test", "app_secret": secret}, timeout=5)


def call(lark, method, path, body, *, token=None, **query):
    token = token or get_token(lark).json()["tenant_access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    return requests.request(method, lark.base_url + path, json=body, params=query, headers=headers, timeout=5)


def send(lark, card, **body):
    body = {"receive_id": "oc_1", "msg_type": "interactive", "content": json.dumps(card)} | body
    return call(lark, "POST", MESSAGES, body, receive_id_type="chat_id")


def sent(lark, card) -> str:
    return send(lark, card).json()["data"]["message_id"]


def update(lark, token, card):
    return call(lark, "POST", UPDATE, {"token": token, "card": card})


def patch(lark, message_id, card):
    return call(lark, "PATCH", f"{MESSAGES}/{message_id}", {"content": json.dumps(card)})


def test_token_checks_the_app_secret(lark):
    refused = get_token(lark, secret="wrong")
    assert refused.status_code == 400
    assert refused.json()["code"] == 10014
    issued = get_token(lark).json()
    assert issued["code"] == 0 and issued["expire"] == 7200
    assert issued["tenant_access_token"].startswith("t-")
    assert lark.token_requests == 2


def test_the_same_token_until_30_minutes_remain_then_a_new_one(lark, clock):
    first = get_token(lark).json()["tenant_access_token"]
    clock.now += 5400
    again = get_token(lark).json()
    assert (again["tenant_access_token"], again["expire"]) == (first, 1800)
    clock.now += 1
    fresh = get_token(lark).json()
    assert fresh["tenant_access_token"] != first and fresh["expire"] == 7200
    assert send(lark, SHARED).json()["code"] == 0
    assert call(lark, "POST", MESSAGES, {}, token=first, receive_id_type="chat_id").json()["code"] == 99992402


def test_apis_need_a_valid_tenant_token(lark, clock):
    no_header = requests.post(lark.base_url + MESSAGES, json={}, timeout=5)
    assert (no_header.status_code, no_header.json()["code"]) == (400, 99991661)
    assert call(lark, "POST", MESSAGES, {}, token="t-made-up").json()["code"] == 99991663
    token = get_token(lark).json()["tenant_access_token"]
    lark.expire_tokens()
    assert call(lark, "POST", UPDATE, {}, token=token).json()["code"] == 99991663
    token = get_token(lark).json()["tenant_access_token"]
    clock.now += 7200
    assert call(lark, "PATCH", f"{MESSAGES}/om_1", {}, token=token).json()["code"] == 99991663


def test_send_stores_the_card_and_records_the_request(lark):
    card = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "飞书"}]}
    answer = send(lark, card, uuid="u-1")
    message_id = answer.json()["data"]["message_id"]
    assert message_id.startswith("om_")
    stored = {"receive_id": "oc_1", "receive_id_type": "chat_id", "msg_type": "interactive", "content": card,
              "card": card, "uuid": "u-1"}
    assert lark.messages[message_id] == stored
    request = lark.requests[-1]
    assert (request.kind, request.method, request.path, request.query) == ("send", "POST", MESSAGES,
                                                                          {"receive_id_type": "chat_id"})
    assert request.json["uuid"] == "u-1" and request.headers["authorization"].startswith("Bearer t-")
    assert (request.status, request.response["data"]["message_id"]) == (200, message_id)
    assert request.answered_at >= request.received_at
    assert answer.headers["X-Tt-Logid"] == request.request_id


def test_same_uuid_within_the_hour_is_the_same_message(lark, clock):
    first = send(lark, SHARED, uuid="u-1").json()["data"]["message_id"]
    assert send(lark, EXCLUSIVE, uuid="u-1").json()["data"]["message_id"] == first
    assert len(lark.messages) == 1 and lark.messages[first]["card"] == SHARED
    clock.now += 3600
    assert send(lark, SHARED, uuid="u-1").json()["data"]["message_id"] != first


@pytest.mark.parametrize(
    "change, code",
    [
        ({"receive_id_type": "phone"}, 99992402),
        ({"msg_type": "sticker"}, 99992402),  # a type the stand-in does not play
        ({"msg_type": "text"}, 230001),  # a card is not a text's content
        ({"receive_id": ""}, 99992402),
        ({"uuid": "u" * 51}, 99992402),
        ({"content": "not json"}, 230001),
        ({"content": json.dumps([SHARED])}, 230001),
        ({"content": json.dumps({"elements": [{"tag": "markdown", "content": "x" * 31 * 1024}]})}, 230025),
    ],
)
def test_send_refuses_bad_requests(lark, change, code):
    query = {"receive_id_type": change.pop("receive_id_type", "chat_id")}
    body = {"receive_id": "oc_1", "msg_type": "interactive", "content": json.dumps(SHARED)} | change
    answer = call(lark, "POST", MESSAGES, body, **query)
    assert (answer.status_code, answer.json()["code"]) == (400, code)
    assert answer.json()["error"]["log_id"] == answer.headers["X-Tt-Logid"]
    assert lark.messages == {}


def test_delayed_update_of_a_shared_card_with_an_issued_token(lark):
    message_id = sent(lark, SHARED)
    token = lark.issue_update_token(message_id, "ou_1")
    new_card = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "done"}]}
    assert update(lark, token, new_card).json()["code"] == 0
    assert lark.messages[message_id]["card"] == new_card
    [applied] = lark.updates
    assert (applied.kind, applied.message_id, applied.card, applied.open_ids) == ("update", message_id, new_card, None)
    assert (applied.token, applied.operator) == (token, "ou_1")


def test_a_token_works_twice(lark):
    token = lark.issue_update_token(sent(lark, V2), "ou_1")
    assert update(lark, token, {**V2, "open_ids": ["ou_1"]}).json()["code"] == 200320  # refused: not a use
    assert [update(lark, token, V2).json()["code"] for _ in range(3)] == [0, 0, 300040]
    assert len(lark.updates) == 2


def test_exclusive_cards_need_open_ids(lark):
    token = lark.issue_update_token(sent(lark, EXCLUSIVE), "ou_1")
    assert update(lark, token, {**SHARED}).json()["code"] == 300090  # judged by the stored card: exclusive
    assert update(lark, token, {**EXCLUSIVE, "open_ids": "ou_1"}).json()["code"] == 200320
    assert update(lark, token, {**EXCLUSIVE, "open_ids": ["ou_1"]}).json()["code"] == 0
    assert lark.updates[-1].open_ids == ["ou_1"] and "open_ids" not in lark.updates[-1].card


def test_unknown_tokens_are_judged_by_the_update_card(lark):
    assert update(lark, "c-from-a-callback", EXCLUSIVE).json()["code"] == 300090
    assert update(lark, "c-from-a-callback", {**SHARED, "open_ids": ["ou_1"]}).json()["code"] == 200320
    assert update(lark, "c-from-a-callback", SHARED).json()["code"] == 0
    assert lark.updates[-1].message_id is None
    assert update(lark, "not-a-card-token", SHARED).json()["code"] == 300020
    assert update(lark, "c-1", json.dumps(SHARED)).json()["code"] == 10002


def test_patch_replaces_a_shared_card(lark):
    message_id = sent(lark, SHARED)
    assert patch(lark, message_id, V2).json()["code"] == 0
    assert lark.messages[message_id]["card"] == V2
    assert [(u.kind, u.message_id, u.card) for u in lark.updates] == [("patch", message_id, V2)]


def test_patch_refuses_exclusive_cards_and_unknown_messages(lark):
    shared_id, exclusive_id = sent(lark, SHARED), sent(lark, EXCLUSIVE)
    assert patch(lark, exclusive_id, SHARED).json()["code"] == 230099
    assert patch(lark, shared_id, EXCLUSIVE).json()["code"] == 230099
    assert patch(lark, "om_unknown", SHARED).json()["code"] == 230001
    assert lark.messages[exclusive_id]["card"] == EXCLUSIVE and lark.updates == []


def test_injected_failures_come_first_and_are_recorded(lark):
    lark.fail_next("send", times=2)
    lark.fail_next(TOKEN_PATH, code=99991400, status=429, headers={"x-ogw-ratelimit-reset": "2"})
    limited = get_token(lark)
    assert (limited.status_code, limited.json(), limited.headers["x-ogw-ratelimit-reset"]) == (
        429, {"code": 99991400, "msg": "injected"}, "2")
    down = requests.post(lark.base_url + MESSAGES, json={}, timeout=5)  # no token needed to fail
    assert (down.status_code, down.text) == (500, "injected failure")
    assert [send(lark, SHARED).status_code for _ in range(2)] == [500, 200]
    assert [r.status for r in lark.requests] == [429, 500, 200, 500, 200, 200]
    lark.fail_next("patch", body={"code": 230020, "msg": "too fast"})
    assert patch(lark, "om_1", SHARED).json() == {"code": 230020, "msg": "too fast"}
    with pytest.raises(ValueError, match="target"):
        lark.fail_next("sned")


def test_delay_holds_the_answer_and_closing_cuts_it_short():
    answers = []
    with FakeLarkPlatform() as lark:
        lark.delay("token", 60)
        thread = threading.Thread(target=lambda: answers.append(get_token(lark)))
        thread.start()
        [request] = lark.wait_for(lambda seen: len(seen) == 1)
        assert request.status is None
    thread.join(timeout=10)
    assert [answer.status_code for answer in answers] == [200]


def test_unknown_apis_and_wait_for_timeouts(lark):
    answer = requests.get(lark.base_url + "/open-apis/im/v1/chats", timeout=5)
    assert (answer.status_code, lark.requests[0].kind) == (404, None)
    with pytest.raises(AssertionError, match="condition not met"):
        lark.wait_for(lambda seen: len(seen) > 1, timeout=0.05)


BOT_INFO = "/open-apis/bot/v3/info"
PREVIEWS = "/open-apis/im/v2/url_previews/batch_update"
TEMPLATE = {"type": "template", "data": {"template_id": "AAq1", "template_variable": {"n": 1},
                                         "template_version_name": "1.0.0"}}
POST = {"zh_cn": {"title": "标题", "content": [[{"tag": "text", "text": "hi"}, {"tag": "at", "user_id": "ou_1"}]]}}


def reply(lark, message_id, content, msg_type="text", **body):
    body = {"msg_type": msg_type, "content": json.dumps(content)} | body
    return call(lark, "POST", f"{MESSAGES}/{message_id}/reply", body)


def refresh(lark, tokens, **body):
    return call(lark, "POST", PREVIEWS, {"preview_tokens": tokens} | body)


def test_bot_info_answers_at_the_top_level_and_needs_a_token():
    with FakeLarkPlatform(bot_open_id="ou_mine", bot_name="Release bot") as lark:
        answer = call(lark, "GET", BOT_INFO, None)
        assert answer.json()["bot"]["open_id"] == "ou_mine" and answer.json()["bot"]["app_name"] == "Release bot"
        assert "data" not in answer.json() and answer.json()["code"] == 0
        assert requests.get(lark.base_url + BOT_INFO, timeout=5).json()["code"] == 99991661
        assert (lark.bot_info_requests, lark.requests[-1].kind) == (2, "bot_info")


@pytest.mark.parametrize("msg_type, content", [("text", {"text": "飞书 hi"}), ("post", POST),
                                               ("interactive", TEMPLATE)])
def test_send_stores_any_message_type(lark, msg_type, content):
    answer = call(lark, "POST", MESSAGES, {"receive_id": "ou_1", "msg_type": msg_type, "content": json.dumps(content)},
                  receive_id_type="open_id")
    message = lark.messages[answer.json()["data"]["message_id"]]
    assert (message["msg_type"], message["content"]) == (msg_type, content)
    assert message.get("card") == (content if msg_type == "interactive" else None)


@pytest.mark.parametrize(
    "msg_type, content, code",
    [
        ("text", {"txt": "hi"}, 230001),
        ("text", {"text": 1}, 230001),
        ("post", {}, 230001),
        ("post", {"zh_cn": {"content": [{"tag": "text"}]}}, 230001),  # paragraphs are lists
        ("post", {"zh_cn": {"content": [[{"text": "no tag"}]]}}, 230001),
        ("post", {"zh_cn": {"title": 1, "content": []}}, 230001),
        ("interactive", {"type": "template", "data": {"template_variable": {}}}, 230001),
        ("interactive", {"type": "template", "data": {"template_id": "AAq1", "template_variable": []}}, 230001),
        ("text", {"text": "x" * 151 * 1024}, 230025),
        ("post", {"zh_cn": {"content": [[{"tag": "text", "text": "x" * 31 * 1024}]]}}, 230025),
    ],
)
def test_send_checks_the_content_of_each_type(lark, msg_type, content, code):
    body = {"receive_id": "oc_1", "msg_type": msg_type, "content": json.dumps(content)}
    assert call(lark, "POST", MESSAGES, body, receive_id_type="chat_id").json()["code"] == code
    assert lark.messages == {}


def test_a_long_text_fits_where_a_card_would_not(lark):
    body = {"receive_id": "oc_1", "msg_type": "text", "content": json.dumps({"text": "x" * 100 * 1024})}
    assert call(lark, "POST", MESSAGES, body, receive_id_type="chat_id").json()["code"] == 0


def test_a_reply_lands_in_the_chat_of_its_parent(lark):
    lark.register_message("om_user", "oc_team")
    first = reply(lark, "om_user", {"text": "on it"}, reply_in_thread=True).json()["data"]
    assert (first["parent_id"], first["chat_id"], first["msg_type"]) == ("om_user", "oc_team", "text")
    stored = lark.messages[first["message_id"]]
    assert (stored["reply_to"], stored["reply_in_thread"], stored["chat_id"]) == ("om_user", True, "oc_team")
    again = reply(lark, first["message_id"], SHARED, msg_type="interactive").json()["data"]  # a reply to the reply
    assert lark.messages[again["message_id"]]["chat_id"] == "oc_team"
    assert lark.messages[again["message_id"]]["card"] == SHARED
    assert lark.messages[again["message_id"]]["reply_in_thread"] is False
    assert lark.requests[-1].kind == "reply"


def test_a_reply_to_a_sent_message_takes_its_chat_or_none_for_a_user(lark):
    in_chat = sent(lark, SHARED)
    to_user = call(lark, "POST", MESSAGES, {"receive_id": "ou_1", "msg_type": "text",
                                            "content": json.dumps({"text": "hi"})}, receive_id_type="open_id")
    assert reply(lark, in_chat, {"text": "a"}).json()["data"]["chat_id"] == "oc_1"
    assert reply(lark, to_user.json()["data"]["message_id"], {"text": "b"}).json()["data"]["chat_id"] is None


def test_reply_refuses_unknown_parents_and_bad_fields(lark):
    lark.register_message("om_user", "oc_team")
    assert reply(lark, "om_unknown", {"text": "hi"}).json()["code"] == 230001
    assert reply(lark, "om_user", {"text": "hi"}, reply_in_thread="yes").json()["code"] == 99992402
    assert reply(lark, "om_user", {"text": "hi"}, uuid="u" * 51).json()["code"] == 99992402
    assert reply(lark, "om_user", {"card": 1}).json()["code"] == 230001
    assert lark.messages == {}


def test_same_reply_uuid_within_the_hour_is_the_same_reply(lark, clock):
    lark.register_message("om_user", "oc_team")
    first = reply(lark, "om_user", {"text": "once"}, uuid="r-1").json()["data"]["message_id"]
    assert reply(lark, "om_user", {"text": "twice"}, uuid="r-1").json()["data"]["message_id"] == first
    assert list(lark.messages) == [first] and lark.messages[first]["content"] == {"text": "once"}
    clock.now += 3600
    assert reply(lark, "om_user", {"text": "later"}, uuid="r-1").json()["data"]["message_id"] != first


def test_patch_refuses_a_message_that_is_not_a_card(lark):
    body = {"receive_id": "oc_1", "msg_type": "text", "content": json.dumps({"text": "hi"})}
    message_id = call(lark, "POST", MESSAGES, body, receive_id_type="chat_id").json()["data"]["message_id"]
    assert patch(lark, message_id, SHARED).json()["code"] == 230054


def test_preview_refreshes_are_recorded(lark, clock):
    assert refresh(lark, ["p-1", "p-2"], open_ids=["ou_1"]).json() == {"code": 0, "msg": "success", "data": {}}
    assert refresh(lark, ["p-3"]).json()["code"] == 0
    assert lark.preview_refreshes == [(["p-1", "p-2"], ["ou_1"], clock.now), (["p-3"], None, clock.now)]
    assert lark.requests[-1].kind == "preview_refresh"


@pytest.mark.parametrize(
    "body",
    [{"preview_tokens": []}, {"preview_tokens": [f"p-{n}" for n in range(11)]}, {"preview_tokens": ["p-1", ""]},
     {"preview_tokens": "p-1"}, {}, {"preview_tokens": ["p-1"], "open_ids": [f"ou_{n}" for n in range(101)]},
     {"preview_tokens": ["p-1"], "open_ids": "ou_1"}],
)
def test_preview_refresh_validates_its_fields(lark, body):
    answer = call(lark, "POST", PREVIEWS, body)
    assert (answer.status_code, answer.json()["code"]) == (400, 99992402)
    assert lark.preview_refreshes == []


def test_a_preview_token_is_refreshed_at_most_once_in_5_seconds(lark, clock):
    assert refresh(lark, ["p-1"]).json()["code"] == 0
    clock.now += 4.5
    limited = refresh(lark, ["p-2", "p-1"])
    assert (limited.status_code, limited.json()["code"], limited.headers["x-ogw-ratelimit-reset"]) == (
        429, 99991400, "1")
    assert "p-1" in limited.json()["msg"] and "p-2" not in limited.json()["msg"]
    clock.now += 0.5
    assert refresh(lark, ["p-2", "p-1"]).json()["code"] == 0
    assert [refreshed.tokens for refreshed in lark.preview_refreshes] == [["p-1"], ["p-2", "p-1"]]


def test_at_most_5_preview_refreshes_a_second(lark, clock):
    codes = []
    for n in range(6):
        codes.append(refresh(lark, [f"p-{n}"]).json()["code"])
        clock.now += 0.1
    assert codes == [0, 0, 0, 0, 0, 99991400]
    assert lark.requests[-1].status == 429 and len(lark.preview_refreshes) == 5
    clock.now = 1001.15  # over 1 s after the first two calls: they no longer count; the refused one still does
    assert refresh(lark, ["p-6"]).json()["code"] == 0
    assert refresh(lark, ["p-7"]).json()["code"] == 99991400


def test_the_preview_limits_can_be_set(clock):
    with FakeLarkPlatform(preview_max_requests=1, preview_window=0.5, preview_token_seconds=0.2, clock=clock) as lark:
        assert [refresh(lark, ["p-1"]).json()["code"] for _ in range(2)] == [0, 99991400]
        clock.now += 0.5
        assert refresh(lark, ["p-1"]).json()["code"] == 0


@pytest.mark.parametrize("kind, method, path", [("bot_info", "GET", BOT_INFO), ("preview_refresh", "POST", PREVIEWS),
                                                ("reply", "POST", f"{MESSAGES}/om_1/reply")])
def test_new_kinds_can_fail_on_demand(lark, kind, method, path):
    lark.fail_next(kind, status=503)
    assert call(lark, method, path, {}).status_code == 503
    assert lark.requests[-1].kind == kind
