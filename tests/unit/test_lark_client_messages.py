"""LarkClient against FakeLarkPlatform over real HTTP: bot info, messages of every type, replies, preview refreshes."""

from __future__ import annotations

import json

import pytest

from cardbot.lark import LarkClient, LarkError
from cardbot.lark.client import BotInfo
from cardbot.testing import FakeLarkPlatform

CARD = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "飞书 card"}]}
POST = {"zh_cn": {"title": "发布", "content": [[{"tag": "text", "text": "v42 "}, {"tag": "a", "text": "notes",
                                                                                 "href": "https://example.com"}]]}}
TEMPLATE = {"type": "template", "data": {"template_id": "AAqk1", "template_variable": {"version": "42"},
                                         "template_version_name": "1.0.0"}}


def test_bot_info_is_a_get_without_a_body(client, lark):
    assert client.bot_info() == BotInfo(open_id="ou_bot", app_name="cardbot test bot")
    request = lark.requests[-1]
    assert (request.method, request.kind, request.json) == ("GET", "bot_info", None)
    assert "Content-Type" not in request.headers and request.headers["Authorization"].startswith("Bearer t-")
    assert lark.bot_info_requests == 1


def test_bot_info_of_a_named_bot():
    with FakeLarkPlatform(bot_open_id="ou_release", bot_name="Release bot") as lark:
        assert LarkClient("cli_test", "secret", lark.base_url).bot_info() == BotInfo("ou_release", "Release bot")


@pytest.mark.parametrize("bot", [{}, {"open_id": ""}, {"open_id": 7}, None])
def test_bot_info_without_an_open_id_is_an_error(client, lark, bot):
    lark.fail_next("bot_info", status=200, body={"code": 0, "msg": "ok", "bot": bot})
    with pytest.raises(LarkError, match="no bot.open_id"):
        client.bot_info()


def test_bot_info_without_an_app_name_has_none(client, lark):
    lark.fail_next("bot_info", status=200, body={"code": 0, "msg": "ok", "bot": {"open_id": "ou_1"}})
    assert client.bot_info() == BotInfo("ou_1", None)


def test_a_get_is_retried_and_fetches_a_refused_token_again(client, lark, clock):
    client.bot_info()
    lark.expire_tokens()
    lark.fail_next("bot_info", status=503)
    assert client.bot_info().open_id == "ou_bot"
    assert lark.request_kinds() == [("token", 200), ("bot_info", 200), ("bot_info", 503), ("bot_info", 400), ("token", 200),
                           ("bot_info", 200)]
    assert len(clock.waits) == 1
    assert all(request.json is None for request in lark.requests if request.kind == "bot_info")


@pytest.mark.parametrize("msg_type, content", [("text", {"text": "飞书 hello"}), ("post", POST),
                                               ("interactive", CARD), ("interactive", TEMPLATE)])
def test_send_message_of_each_type(client, lark, msg_type, content):
    message_id = client.send_message("chat_id", "oc_1", msg_type, content)
    message = lark.messages[message_id]
    assert (message["msg_type"], message["content"], message["receive_id"]) == (msg_type, content, "oc_1")
    sent = lark.requests[-1].json
    assert sent["msg_type"] == msg_type and json.loads(sent["content"]) == content
    assert len(message["uuid"]) == 32


def test_a_template_card_is_kept_as_the_card(client, lark):
    message_id = client.send_card("open_id", "ou_1", TEMPLATE)
    assert lark.messages[message_id]["card"] == TEMPLATE and lark.messages[message_id]["msg_type"] == "interactive"


def test_send_message_with_a_uuid_is_idempotent(client, lark):
    first = client.send_message("open_id", "ou_1", "text", {"text": "once"}, uuid="note-1")
    assert client.send_message("open_id", "ou_1", "text", {"text": "once"}, uuid="note-1") == first
    assert list(lark.messages) == [first]


def test_send_message_checks_the_receive_id_type(client, lark):
    with pytest.raises(ValueError, match="receive_id_type"):
        client.send_message("phone", "123", "text", {"text": "hi"})
    assert lark.requests == []


def test_content_that_does_not_fit_its_type_is_a_lark_error(client, lark):
    with pytest.raises(LarkError) as raised:
        client.send_message("chat_id", "oc_1", "text", CARD)
    assert raised.value.code == 230001 and lark.messages == {}


def test_a_reply_goes_to_the_chat_of_the_message(client, lark):
    lark.register_message("om_user/1", "oc_team")  # ids are quoted into the path
    reply_id = client.reply_message("om_user/1", "text", {"text": "on it"})
    message = lark.messages[reply_id]
    assert (message["reply_to"], message["chat_id"], message["reply_in_thread"]) == ("om_user/1", "oc_team", False)
    assert (message["msg_type"], message["content"]) == ("text", {"text": "on it"})
    request = lark.requests[-1]
    assert (request.kind, request.path) == ("reply", "/open-apis/im/v1/messages/om_user%2F1/reply")
    assert "reply_in_thread" not in request.json and len(request.json["uuid"]) == 32


def test_a_reply_in_thread_with_a_card(client, lark):
    sent = client.send_card("chat_id", "oc_room", CARD)
    reply_id = client.reply_message(sent, "interactive", TEMPLATE, reply_in_thread=True)
    message = lark.messages[reply_id]
    assert (message["chat_id"], message["reply_in_thread"], message["card"]) == ("oc_room", True, TEMPLATE)
    assert lark.requests[-1].json["reply_in_thread"] is True


def test_a_reply_with_a_uuid_is_idempotent_and_its_retries_post_once(client, lark):
    lark.register_message("om_user", "oc_team")
    lark.fail_next("reply", status=502)
    first = client.reply_message("om_user", "post", POST, uuid="answer-7")
    assert client.reply_message("om_user", "post", POST, uuid="answer-7") == first
    replies = [request for request in lark.requests if request.kind == "reply"]
    assert [request.status for request in replies] == [502, 200, 200]
    assert {request.json["uuid"] for request in replies} == {"answer-7"}
    assert list(lark.messages) == [first]


def test_a_reply_to_an_unknown_message_is_refused(client, lark):
    with pytest.raises(LarkError) as raised:
        client.reply_message("om_nowhere", "text", {"text": "hi"})
    assert (raised.value.code, raised.value.http_status) == (230001, 400)


def test_batch_update_previews_sends_the_tokens_and_the_open_ids(client, lark, clock):
    client.batch_update_previews(["p-1", "p-2"])
    client.batch_update_previews(["p-3"], open_ids=["ou_1"])
    assert [request.json for request in lark.requests if request.kind == "preview_refresh"] == [
        {"preview_tokens": ["p-1", "p-2"]}, {"preview_tokens": ["p-3"], "open_ids": ["ou_1"]}]
    assert lark.preview_refreshes == [(["p-1", "p-2"], None, clock.now), (["p-3"], ["ou_1"], clock.now)]


@pytest.mark.parametrize(
    "tokens, open_ids",
    [([], None), ([f"p-{n}" for n in range(11)], None), (["p-1", ""], None), (["p-1", 2], None),
     (["p-1"], [""]), (["p-1"], [f"ou_{n}" for n in range(101)])],
)
def test_batch_update_previews_checks_its_arguments(client, lark, tokens, open_ids):
    with pytest.raises(ValueError):
        client.batch_update_previews(tokens, open_ids)
    assert lark.requests == []


def test_ten_tokens_and_a_hundred_open_ids_are_allowed(client, lark):
    client.batch_update_previews([f"p-{n}" for n in range(10)], [f"ou_{n}" for n in range(100)])
    assert len(lark.preview_refreshes[0].tokens) == 10


def test_a_refresh_refused_for_its_rate_is_retried_after_larks_reset(client, lark, clock):
    client.batch_update_previews(["p-1"])
    client.batch_update_previews(["p-1"])  # too soon: Lark says wait 5 s, the client does
    assert [request.status for request in lark.requests if request.kind == "preview_refresh"] == [200, 429, 200]
    assert clock.waits == [5.0]
    assert [refresh.at for refresh in lark.preview_refreshes] == [1000.0, 1005.0]
