"""Template cards (built in Lark's card builder, `{"type": "template", "data": {...}}`): sent, stored, answered
in both callback formats, and patched by their variables."""

from __future__ import annotations

import json
import subprocess

import pytest

from cardbot.testing import FakeLarkPlatform
from cardbot.testing.server import server_environment
from support import BOT_COMMAND, SECRETS, TEST_PLUGINS, lark_app, new_message_id, put_card, show_card, start_recorder

TEMPLATE = {"type": "template", "data": {"template_id": "AAqi6xJ8rabcd", "template_version_name": "1.0.0",
                                         "template_variable": {"title": "Lunch?", "votes": 0}}}
RAW = {"config": {"update_multi": True}, "elements": [
    {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": "Use the template"},
                                   "value": {"button_type": "recorded", "card": TEMPLATE}}]}]}
API_TOKEN = "api-token-for-tests"


@pytest.fixture(scope="module")
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as platform:
        yield platform


@pytest.fixture(scope="module")
def server(tmp_path_factory, lark):
    folder = tmp_path_factory.mktemp("recorded")
    bot = start_recorder(tmp_path_factory.mktemp("bot"), folder, {"button_types": ["recorded"]},
                         env={**lark_app(lark), "CARDBOT_API_TOKEN": API_TOKEN})
    yield bot
    bot.stop()


def test_the_card_api_sends_and_stores_a_template_card(server, lark):
    body = json.dumps({"receive_id_type": "chat_id", "receive_id": "oc_team", "card": TEMPLATE}).encode()
    response = server.post("/api/cards", body, {"Authorization": f"Bearer {API_TOKEN}",
                                                 "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    sent = response.json()
    assert (sent["version"], sent["warnings"]) == (1, [])
    assert lark.messages[sent["message_id"]]["card"] == TEMPLATE
    assert show_card(server, sent["message_id"])["card"] == TEMPLATE


def test_bot_py_send_sends_a_template_card(server, lark):
    env = server_environment({**SECRETS, **lark_app(lark)}, (TEST_PLUGINS,))
    result = subprocess.run([*BOT_COMMAND, "send", "--chat-id", "oc_team", "-", "--config", str(server.config_path)],
                            input=json.dumps(TEMPLATE), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    message_id = result.stdout.strip()
    assert lark.messages[message_id]["card"] == TEMPLATE and show_card(server, message_id)["version"] == 1


def test_a_template_card_without_a_template_id_is_refused(server):
    bad = {"type": "template", "data": {"template_variable": {}}}
    body = json.dumps({"receive_id_type": "chat_id", "receive_id": "oc_team", "card": bad}).encode()
    response = server.post("/api/cards", body, {"Authorization": f"Bearer {API_TOKEN}"})
    assert response.status_code == 400
    assert "a template card needs data.template_id" in response.json()["error"]


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
def test_a_patch_on_a_stored_template_card_changes_its_variables(server, kit, legacy):
    message_id = new_message_id()
    put_card(server, message_id, TEMPLATE)
    value = {"button_type": "recorded", "variables": {"votes": 1, "title": None, "voter": "ou_1"}}
    build = kit.legacy_card_action if legacy else kit.card_action_trigger
    answer = server.post("/lark/callback", *build(message_id=message_id, value=value)).json()

    changed = {"type": "template", "data": {"template_id": "AAqi6xJ8rabcd", "template_version_name": "1.0.0",
                                            "template_variable": {"votes": 1, "voter": "ou_1"}}}
    toast = {"type": "success", "content": "recorded"}
    assert answer == ({**changed, "toast": toast} if legacy else {"card": changed, "toast": toast})
    assert show_card(server, message_id)["card"] == changed
    assert show_card(server, message_id)["version"] == 2


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
def test_a_plugin_answers_with_a_template_card_in_both_formats(server, kit, legacy):
    message_id = new_message_id()
    put_card(server, message_id, RAW)
    value = RAW["elements"][0]["actions"][0]["value"]
    build = kit.legacy_card_action if legacy else kit.card_action_trigger
    answer = server.post("/lark/callback", *build(message_id=message_id, value=value)).json()

    toast = {"type": "success", "content": "recorded"}
    assert answer == ({**TEMPLATE, "toast": toast} if legacy else {"card": TEMPLATE, "toast": toast})
    assert show_card(server, message_id)["card"] == TEMPLATE


def test_variables_for_a_card_that_is_no_template_fail_the_click_and_change_nothing(server, kit):
    value = {"button_type": "recorded", "variables": {"x": 1}}
    message_id = new_message_id()
    put_card(server, message_id, {"config": {"update_multi": True}, "elements": [
        {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": "Go"},
                                       "value": value}]}]})
    answer = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=value)).json()
    assert answer["toast"]["type"] == "error" and "card" not in answer
    assert "only a template card has variables; this card is not one" in server.log()
    assert show_card(server, message_id)["version"] == 1
