"""Chat messages and other events at the callback URL, through a real server: each official example reaches the
plugin that claims it with every field right; an event is recorded, answered, then handled once, never again
(not after a redelivery, not after a crash); a plugin that fails costs only its own delivery."""

from __future__ import annotations

import json

import pytest

from cardbot.testing import FakeLarkPlatform
from payloads import load_payload
from support import database_snapshot, eventually, lark_app, plaintext, recorded, start_recorder

BOT_OPEN_ID = "ou_bot_events"
EVENTS = ["im.chat.member.bot.added_v1", "im.chat.access_event.bot_p2p_chat_entered_v1", "p2p_chat_create"]
CLAIMS = {"events": EVENTS, "commands": ["echo", "hang", "decline"], "messages": True}


@pytest.fixture(scope="module")
def lark(module_database):  # one stand-in per backend's server
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", bot_open_id=BOT_OPEN_ID) as platform:
        yield platform


@pytest.fixture(scope="module")
def recording(tmp_path_factory, lark, module_database):
    folder = tmp_path_factory.mktemp("recorded")
    server = start_recorder(tmp_path_factory.mktemp("bot"), folder, CLAIMS, bot_table="hard_limit = 30\n",
                            env=lark_app(lark), database=module_database)
    yield server, folder
    server.stop()


def live(name: str, event_id: str) -> dict:
    """The official payload with its own event id replaced (the doc examples share one)."""
    payload = load_payload(name)
    if "header" in payload:
        payload["header"]["event_id"] = event_id
    else:
        payload["uuid"] = event_id
    return payload


@pytest.mark.parametrize("name, event_type", [("other_im_chat_member_bot_added_v1_doc", EVENTS[0]),
                                              ("other_im_chat_access_event_bot_p2p_chat_entered_v1_doc", EVENTS[1]),
                                              ("legacy_p2p_chat_create_doc", EVENTS[2])])
def test_each_official_event_reaches_the_plugin_that_claims_it(recording, kit, name, event_type):
    server, folder = recording
    event_id = f"ev-{name}"
    payload = live(name, event_id)

    response = server.post("/lark/callback", *kit.payload(payload))

    assert (response.status_code, response.json()) == (200, {})
    entry = eventually(lambda: [e for e in recorded(folder, "cardbot_event") if e["event_id"] == event_id],
                       "the event")[0]
    assert entry["event_type"] == event_type and entry["body"] == payload["event"]
    header = payload.get("header", payload["event"])
    assert (entry["app_id"], entry["tenant_key"]) == (header["app_id"], header["tenant_key"])


@pytest.mark.parametrize("name, text", [
    ("other_im_message_receive_v1_doc", "@_user_1 hello"),
    ("other_im_message_receive_v1_post_constructed", None),
])
def test_each_official_message_reaches_the_message_hook_with_every_field(recording, kit, lark, name, text):
    server, folder = recording
    payload = live(name, f"ev-{name}")
    message = payload["event"]["message"]
    message["message_id"] = f"om_{name}"
    lark.register_message(message["message_id"], message["chat_id"])

    assert server.post("/lark/callback", *kit.payload(payload)).json() == {}

    entry = eventually(lambda: [e for e in recorded(folder, "cardbot_message")
                                if e["message"]["message_id"] == message["message_id"]], "the message")[0]
    given = entry["message"]
    sender = payload["event"]["sender"]["sender_id"]
    assert (given["sender"]["open_id"], given["sender"]["user_id"], given["sender"]["union_id"]) == (
        sender["open_id"], sender["user_id"], sender["union_id"])
    for key in ("chat_id", "chat_type", "message_type", "root_id", "parent_id", "thread_id"):
        assert given[key] == message[key], key
    assert given["content"] == json.loads(message["content"])
    assert [mention["key"] for mention in given["mentions"]] == [m["key"] for m in message.get("mentions", [])]
    if text is not None:
        assert given["text"] == text
    assert given["delivery_id"] == "msg:" + message["message_id"]
    assert entry["command"] is None  # Tom's mention is not the bot's: in a group, no command
    eventually(lambda: any(sent.get("reply_to") == message["message_id"] and sent["content"] ==
                           {"text": "recorded message"} for sent in list(lark.messages.values())), "the reply")


def test_a_command_gets_the_args_with_other_people_resolved(recording, kit, lark):
    server, folder = recording
    body, headers = kit.message_receive('@_user_1 echo "two words" @_user_2 plain', chat_id="oc_cmd",
                                        mentions=[(BOT_OPEN_ID, "bot"), ("ou_alice", "Alice")])
    server.post("/lark/callback", body, headers)
    entry = eventually(lambda: [e for e in recorded(folder, "cardbot_command") if e["name"] == "echo"], "echo")[0]
    assert entry["args"] == ["two words", "ou_alice", "plain"]
    assert [mention["open_id"] for mention in entry["mentions"]] == ["ou_alice"]


def test_a_command_declined_on_purpose_tells_the_person_why(recording, kit, lark):
    server, _ = recording
    body, headers = kit.message_receive("@_user_1 decline", chat_id="oc_no", mentions=[(BOT_OPEN_ID, "bot")])
    message_id = plaintext(body)["event"]["message"]["message_id"]
    lark.register_message(message_id, "oc_no")
    server.post("/lark/callback", body, headers)
    reply = eventually(lambda: [sent for sent in list(lark.messages.values()) if sent.get("reply_to") == message_id],
                       "the reply")[0]
    assert (reply["msg_type"], reply["content"]) == ("text", {"text": "You may not do that here"})
    assert "plugin 'recorder' declined cardbot_command: You may not do that here" in server.log()


def test_an_event_pushed_again_runs_once(recording, kit):
    server, folder = recording
    payload = live("other_im_chat_member_bot_added_v1_doc", "ev-twice")
    for _ in range(2):
        assert server.post("/lark/callback", *kit.payload(payload)).status_code == 200
    eventually(lambda: "delivery ev:ev-twice is a repeat" in server.log(), "the repeat")
    eventually(lambda: "delivery ev:ev-twice handled by recorder: done" in server.log(), "the first copy")
    assert len([e for e in recorded(folder, "cardbot_event") if e["event_id"] == "ev-twice"]) == 1


def test_a_plugin_that_raises_on_an_event_costs_that_event_only(recording, kit):
    server, folder = recording
    body, headers = kit.event("im.chat.member.bot.added_v1", {"chat_id": "oc_x", "explode": True},
                              event_id="ev-explodes")
    assert server.post("/lark/callback", body, headers).json() == {}
    eventually(lambda: "delivery ev:ev-explodes handled by recorder: failed" in server.log(), "the failure")
    rows = [row for row in database_snapshot(server)["deliveries"] if row[0] == "ev:ev-explodes"]
    assert rows and rows[0][2] == "failed" and "raised RuntimeError: boom" in rows[0]
    body, headers = kit.event("im.chat.member.bot.added_v1", {"chat_id": "oc_y"}, event_id="ev-after")
    server.post("/lark/callback", body, headers)
    eventually(lambda: "delivery ev:ev-after handled by recorder: done" in server.log(), "the next event")


def test_an_event_nobody_claims_stores_nothing_and_a_malformed_one_is_refused(recording, kit):
    server, _ = recording
    before = database_snapshot(server)
    body, headers = kit.event("im.chat.disbanded_v1", {"chat_id": "oc_1"})
    assert server.post("/lark/callback", body, headers).json() == {}
    body, headers = kit.event("im.message.receive_v1", {"message": {"message_id": "om_1"}})
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 400 and "event.sender must be a JSON object" in response.json()["error"]
    assert database_snapshot(server) == before


def test_a_message_whose_handler_dies_with_its_process_is_interrupted_and_never_runs_again(kit, lark, tmp_path,
                                                                                          database_url):
    folder = tmp_path / "recorded"
    folder.mkdir()
    server = start_recorder(tmp_path / "bot", folder, CLAIMS, env=lark_app(lark), database=database_url)
    try:
        body, headers = kit.message_receive("@_user_1 hang", chat_id="oc_crash", mentions=[(BOT_OPEN_ID, "bot")])
        payload = plaintext(body)
        message_id = payload["event"]["message"]["message_id"]
        assert server.post("/lark/callback", body, headers).json() == {}
        eventually(lambda: [e for e in recorded(folder, "cardbot_command")
                            if e["message"]["message_id"] == message_id], "the hang command to start")
        server.kill()
        server.start()
        status = eventually(lambda: next((row[2] for row in database_snapshot(server)["deliveries"]
                                          if row[0] == f"msg:{message_id}" and row[2] != "running"), None),
                            "the delivery to be recorded interrupted", timeout=30)
        assert status == "interrupted"

        payload["header"]["event_id"] = "ev-after-the-crash"  # Lark pushes it again
        assert server.post("/lark/callback", *kit.payload(payload)).json() == {}
        eventually(lambda: f"delivery msg:{message_id} is a repeat (first copy interrupted)" in server.log(),
                   "the repeat")
        assert len([e for e in recorded(folder, "cardbot_command") if e["message"]["message_id"] == message_id]) == 1
        assert not any(sent.get("reply_to") == message_id for sent in list(lark.messages.values()))
    finally:
        server.stop()
