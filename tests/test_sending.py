"""Sending cards: the CLI, the HTTP API and plugins all send through Lark and store what they sent."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from cardbot.testing import FakeLarkPlatform
from cardbot.testing.server import server_environment
from support import BOT_COMMAND, SECRETS, TEST_PLUGINS, button_card, new_message_id, plugin_state, put_card, show_card

APP = {"LARK_APP_ID": "cli_test", "LARK_APP_SECRET": "secret"}
CONFIG = '[bot]\ndatabase = "cardbot.db"\n[plugins.echo_sync]\nenabled = true\nmodule = "cardbot_testplugins.echo_sync"\n'


@pytest.fixture
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as platform:
        yield platform


def send(tmp_path, lark, *args, stdin=None):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    env = server_environment({**SECRETS, **APP, "LARK_API_BASE": lark.base_url}, (TEST_PLUGINS,))
    return subprocess.run([*BOT_COMMAND, "send", *args, "--config", str(tmp_path / "plugins.toml")], cwd=tmp_path,
                          env=env, input=stdin, capture_output=True, text=True, timeout=60)


def show(tmp_path, message_id):
    env = server_environment(SECRETS)
    result = subprocess.run([*BOT_COMMAND, "card", "show", message_id, "--history", "--config",
                             str(tmp_path / "plugins.toml")], env=env, capture_output=True, text=True, timeout=60)
    return json.loads(result.stdout)


def test_send_prints_the_message_id_and_stores_the_card_as_version_1(tmp_path, lark):
    card = button_card("echo_sync")
    (tmp_path / "card.json").write_text(json.dumps(card))

    result = send(tmp_path, lark, "--chat-id", "oc_team", "card.json")

    assert result.returncode == 0, result.stderr
    message_id = result.stdout.strip()
    assert message_id.startswith("om_") and result.stdout == message_id + "\n"
    assert lark.messages[message_id]["card"] == card
    assert lark.messages[message_id]["receive_id"] == "oc_team"
    shown = show(tmp_path, message_id)
    assert (shown["version"], shown["card"]) == (1, card)
    assert shown["history"][0]["made_by"] == "send"
    assert "warning" not in result.stderr  # the card is shared


def test_send_warns_that_a_json_1_card_without_update_multi_is_exclusive(tmp_path, lark):
    result = send(tmp_path, lark, "--open-id", "ou_someone", "-", stdin=json.dumps(button_card("x", shared=False)))
    assert result.returncode == 0
    assert "exclusive" in result.stderr and "update_multi" in result.stderr


def test_send_failure_names_lark_code_and_stores_nothing(tmp_path, lark):
    lark.fail_next("send", code=230013, msg="Bot has NO availability to this user.")
    result = send(tmp_path, lark, "--email", "x@example.com", "-", stdin=json.dumps(button_card("x")))
    assert result.returncode == 1 and result.stdout == ""
    assert "code 230013" in result.stderr and "NO availability" in result.stderr
    assert stored_cards(tmp_path) == 0


def stored_cards(tmp_path) -> int:
    """Cards in the database `send` uses (none when it was never created)."""
    path = tmp_path / "cardbot.db"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM cards").fetchone()[0]


@pytest.mark.parametrize("flag, receive_id_type", [("--chat-id", "chat_id"), ("--open-id", "open_id"),
                                                   ("--user-id", "user_id"), ("--union-id", "union_id"),
                                                   ("--email", "email")])
def test_each_receiver_flag_sends_its_receive_id_type(tmp_path, lark, flag, receive_id_type):
    result = send(tmp_path, lark, flag, "someone", "-", stdin=json.dumps(button_card("x")))
    assert result.returncode == 0, result.stderr
    sent = [request for request in lark.requests if request.kind == "send"]
    assert [(request.query["receive_id_type"], request.json["receive_id"]) for request in sent] == [
        (receive_id_type, "someone")]
    assert stored_cards(tmp_path) == 1


def test_send_without_app_credentials_says_which_variables_to_set(tmp_path, lark):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    result = subprocess.run([*BOT_COMMAND, "send", "--chat-id", "oc_1", "-", "--config", "plugins.toml"], cwd=tmp_path,
                            env=server_environment({}), input=json.dumps(button_card("x")), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "LARK_APP_ID" in result.stderr


@pytest.fixture
def api_bot(server_factory, lark):
    return server_factory(CONFIG, env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url,
                                       "CARDBOT_API_TOKEN": "api-secret"})


def test_starting_the_bot_never_calls_lark(api_bot, lark):
    assert api_bot.session.get(api_bot.base_url + "/healthz", timeout=10).status_code == 200  # started and serving
    assert lark.requests == []


def post_card(server, body, token="api-secret"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return server.post("/api/cards", json.dumps(body).encode(), headers)


def test_the_api_sends_and_stores_a_card(api_bot, lark):
    card = button_card("echo_sync")
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": card})
    assert response.status_code == 200, response.text
    message_id = response.json()["message_id"]
    assert response.json()["version"] == 1 and response.json()["warnings"] == []
    assert lark.messages[message_id]["card"] == card
    assert show_card(api_bot, message_id)["card"] == card


@pytest.mark.parametrize("token, status", [(None, 401), ("wrong", 401)])
def test_the_api_requires_the_bearer_token(api_bot, lark, token, status):
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {}}, token=token)
    assert response.status_code == status and "Bearer" in response.json()["error"]
    assert not lark.messages


@pytest.mark.parametrize("body, reason", [
    ({"receive_id": "oc_ci", "card": {}}, "receive_id_type must be one of"),
    ({"receive_id_type": "chat_id", "card": {}}, "receive_id must be a non-empty string"),
    ({"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": "{}"}, "card must be a JSON object"),
    ({"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {"schema": "2.0", "body": {"elements": [
        {"tag": "action", "actions": []}]}}}, "not a valid card"),
    ([1, 2], "send a JSON object"),
    ({"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {}, "state": ["x"]}, "state must map plugin"),
    ({"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {}, "state": {"vote": 3}},
     "state['vote'] must be an object"),
    ({"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {}, "state": {"vote": {"": 1}}},
     "keys must be non-empty strings"),
])
def test_the_api_refuses_bad_bodies_with_400(api_bot, lark, body, reason):
    response = post_card(api_bot, body)
    assert response.status_code == 400 and reason in response.json()["error"]
    assert not lark.messages


def test_the_api_gives_the_card_its_starting_state_which_its_plugin_reads(api_bot, lark, kit):
    card = button_card("echo_sync")
    state = {"echo_sync": {"requester": "ou_req", "amount": 120}, "counter": {"n": 2}}
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": card,
                                   "state": state})
    assert response.status_code == 200, response.text
    message_id = response.json()["message_id"]
    assert plugin_state(api_bot, "echo_sync", message_id) == state["echo_sync"]
    assert plugin_state(api_bot, "counter", message_id) == state["counter"]


def test_send_gives_the_card_its_starting_state(tmp_path, lark):
    result = send(tmp_path, lark, "--chat-id", "oc_team", "--state", "echo_sync", '{"amount": 120}', "--state",
                  "counter", '{"n": 1}', "-", stdin=json.dumps(button_card("echo_sync")))
    assert result.returncode == 0, result.stderr
    message_id = result.stdout.strip()
    conn = sqlite3.connect(tmp_path / "cardbot.db")
    rows = conn.execute("SELECT plugin, key, value FROM plugin_state WHERE message_id = ? ORDER BY plugin",
                        (message_id,)).fetchall()
    assert rows == [("counter", "n", "1"), ("echo_sync", "amount", "120")]
    bad = send(tmp_path, lark, "--chat-id", "oc_team", "--state", "echo_sync", "[1]", "-",
               stdin=json.dumps(button_card("echo_sync")))
    assert bad.returncode == 2 and "--state echo_sync: give a JSON object" in bad.stderr


def test_the_api_reports_a_lark_failure_as_502(api_bot, lark):
    lark.fail_next("send", code=230002, msg="The bot is not in the chat.")
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_x", "card": button_card("x")})
    assert response.status_code == 502
    assert response.json()["lark_code"] == 230002 and "not in the chat" in response.json()["error"]


def test_the_api_is_off_without_a_token(server_factory, lark):
    server = server_factory(CONFIG, env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url})
    response = post_card(server, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": {}})
    assert response.status_code == 404 and "CARDBOT_API_TOKEN" in response.json()["error"]


def test_a_plugin_sends_a_follow_up_card_that_is_stored_and_clickable(server_factory, lark, kit):
    config = CONFIG + '[plugins.followup]\nenabled = true\nmodule = "cardbot_testplugins.followup"\n'
    server = server_factory(config, env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url})
    message_id = new_message_id()
    put_card(server, message_id, button_card("followup"))
    body, headers = kit.card_action_trigger(message_id=message_id, chat_id="oc_room",
                                            value={"button_type": "followup", "button_id": "b1"})
    toast = server.post("/lark/callback", body, headers).json()["toast"]["content"]
    follow_up = toast.removeprefix("sent ")
    assert lark.messages[follow_up]["receive_id"] == "oc_room"
    body, headers = kit.card_action_trigger(message_id=follow_up, value={"button_type": "echo_sync", "button_id": "next"})
    assert server.post("/lark/callback", body, headers).json()["card"]["data"]
    assert show_card(server, follow_up)["version"] == 2


def too_deep_card(levels: int = 70) -> dict:
    """A shared card whose div holds `levels` + 1 nested arrays: far below 30 KB, by default too deep to store."""
    extra: list = []
    for _ in range(levels):
        extra = [extra]
    return {"config": {"update_multi": True}, "elements": [{"tag": "div", "extra": extra}]}


def sends(lark) -> list:
    return [request for request in lark.requests if request.kind == "send"]


def test_the_api_refuses_a_card_it_cannot_store_before_posting_anything(api_bot, lark):
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": too_deep_card()})
    assert response.status_code == 400, response.text
    assert "not a valid card" in response.json()["error"] and "levels deep" in response.json()["error"]
    assert sends(lark) == [] and not lark.messages


def test_send_refuses_a_card_it_cannot_store_before_posting_anything(tmp_path, lark):
    (tmp_path / "deep.json").write_text(json.dumps(too_deep_card()))
    result = send(tmp_path, lark, "--chat-id", "oc_team", "deep.json")
    assert result.returncode == 2 and result.stdout == ""
    assert "error: deep.json is not a valid card" in result.stderr and "levels deep" in result.stderr
    assert "Traceback" not in result.stderr
    assert sends(lark) == [] and stored_cards(tmp_path) == 0


def test_card_put_refuses_a_card_it_cannot_store(tmp_path):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    (tmp_path / "deep.json").write_text(json.dumps(too_deep_card()))
    result = subprocess.run([*BOT_COMMAND, "card", "put", "om_deep", "deep.json", "--config", "plugins.toml"],
                            cwd=tmp_path, env=server_environment(SECRETS), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: deep.json is not a valid card") and "Traceback" not in result.stderr
    assert stored_cards(tmp_path) == 0


def test_the_deepest_card_that_can_be_stored_is_sent_and_stored(api_bot, lark):
    card = too_deep_card(59)  # 60 levels of arrays in the div, in the elements, in the card: 63
    response = post_card(api_bot, {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": card})
    assert response.status_code == 200, response.text
    assert show_card(api_bot, response.json()["message_id"])["card"] == card


def test_a_plugin_sending_a_card_that_cannot_be_stored_posts_nothing(server_factory, lark, kit):
    config = CONFIG + '[plugins.followup]\nenabled = true\nmodule = "cardbot_testplugins.followup"\n'
    server = server_factory(config, env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url})
    message_id = new_message_id()
    value = {"button_type": "followup", "button_id": "b1", "deep": True}
    put_card(server, message_id, button_card("followup", deep=True))
    response = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=value))
    assert response.status_code == 200 and response.json()["toast"]["type"] == "error"
    assert sends(lark) == [] and not lark.messages
    assert "levels deep" in server.log()


def test_a_send_retried_with_the_same_uuid_keeps_the_card_as_it_is_now(api_bot, lark, kit):
    card = button_card("echo_sync")
    body = {"receive_id_type": "chat_id", "receive_id": "oc_ci", "card": card, "uuid": "job-42"}
    first = post_card(api_bot, body).json()
    clicked = api_bot.post("/lark/callback", *kit.card_action_trigger(
        message_id=first["message_id"], value={"button_type": "echo_sync", "button_id": "b1"}))
    assert clicked.status_code == 200
    now = show_card(api_bot, first["message_id"], history=True)
    assert now["version"] == 2 and now["card"] != card

    retried = post_card(api_bot, body)

    assert retried.status_code == 200, retried.text
    assert retried.json()["message_id"] == first["message_id"] and retried.json()["version"] == 2
    assert len(sends(lark)) == 2 and len(lark.messages) == 1  # Lark posted one message for the uuid
    after = show_card(api_bot, first["message_id"], history=True)
    assert (after["version"], after["card"], after["history"]) == (2, now["card"], now["history"])


def test_send_retried_with_the_same_uuid_keeps_the_stored_card(tmp_path, lark):
    (tmp_path / "card.json").write_text(json.dumps(button_card("echo_sync")))
    message_id = send(tmp_path, lark, "--chat-id", "oc_team", "card.json", "--uuid", "job-7").stdout.strip()
    newer = button_card("echo_sync", "b2")
    env = server_environment(SECRETS)
    put = subprocess.run([*BOT_COMMAND, "card", "put", message_id, "-", "--config", str(tmp_path / "plugins.toml")],
                         env=env, input=json.dumps(newer), capture_output=True, text=True, timeout=60)
    assert put.returncode == 0, put.stderr

    again = send(tmp_path, lark, "--chat-id", "oc_team", "card.json", "--uuid", "job-7")

    assert again.returncode == 0 and again.stdout.strip() == message_id
    shown = show(tmp_path, message_id)
    assert (shown["version"], shown["card"], len(shown["history"])) == (2, newer, 2)
