"""The long connection through a real server and the stand-in gateway: a click sent as a data frame is answered
in the same frame with the updated card and stored; a payload split over three frames works; the same click
three times makes one change; the bot pings at the configured interval; after the gateway drops the connection
the bot reconnects and the next click works; the callback URL keeps working beside it; wrong credentials stop
start-up with a clear message."""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import pytest

from cardbot.testing import FakeLarkGateway, FakeLarkPlatform, LarkCallbacks
from cardbot.testing.server import server_environment
from support import (BOT_COMMAND, SECRETS, TEST_PLUGINS, button_card, eventually, lark_app, new_message_id, put_card,
                     show_card, start_server)

CONFIG = '''[bot]
database = "cardbot.db"
long_connection = true
[plugins.echo_sync]
enabled = true
module = "cardbot_testplugins.echo_sync"
label = "pressed"
[plugins.vote]
enabled = true
'''
PING_INTERVAL = 1


@pytest.fixture(scope="module")
def gateway():
    with FakeLarkGateway(ping_interval=PING_INTERVAL, reconnect_interval=1, reconnect_nonce=0) as stand_in:
        yield stand_in


@pytest.fixture(scope="module")
def lark(gateway):
    with FakeLarkPlatform(gateway=gateway) as platform:
        yield platform


@pytest.fixture(scope="module")
def server(tmp_path_factory, lark, gateway):
    bot = start_server(tmp_path_factory.mktemp("bot"), CONFIG, env={**SECRETS, **lark_app(lark)})
    gateway.wait_for_connections(1)
    yield bot
    bot.stop()


def click_payload(message_id: str, value: dict, event_id: str | None = None) -> dict:
    """A card.action.trigger body as the long connection carries it: plain JSON, no encryption or signature."""
    body, _ = LarkCallbacks("vt").card_action_trigger(message_id=message_id, value=value, event_id=event_id,
                                                     encrypt=False)
    return json.loads(body)


def test_a_click_over_the_long_connection_is_answered_in_its_frame_and_stored(server, gateway, figures):
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))

    answer = gateway.send(click_payload(message_id, {"button_type": "echo_sync", "button_id": "b1"}))

    assert answer["code"] == 200
    assert answer["data"]["toast"]["content"].startswith("sync on")
    card = answer["data"]["card"]["data"]
    assert card["elements"][1]["actions"][0]["text"]["content"].startswith("pressed by")
    assert show_card(server, message_id)["card"] == card and show_card(server, message_id)["version"] == 2
    assert int(answer["frame_headers"]["biz_rt"]) >= 0
    figures["long connection"] = {"click_answered_s": round(answer["seconds"], 3)}


def test_a_payload_split_over_three_frames_is_put_back_together(server, gateway):
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))
    answer = gateway.send(click_payload(message_id, {"button_type": "echo_sync", "button_id": "b1"}), parts=3)
    assert answer["code"] == 200 and answer["data"]["toast"]["content"].startswith("sync on")
    assert show_card(server, message_id)["version"] == 2


def test_the_same_click_three_times_makes_one_change(server, gateway):
    message_id = new_message_id()
    put_card(server, message_id, button_card("vote", option="A"))
    payload = click_payload(message_id, {"button_type": "vote", "button_id": "b1", "option": "A"},
                            event_id=secrets.token_hex(16))
    answers = [gateway.send(payload) for _ in range(3)]
    assert [a["data"]["toast"]["content"] for a in answers] == ["Vote counted"] * 3
    assert show_card(server, message_id)["version"] == 2


def test_an_event_is_acknowledged_with_an_empty_answer(server, gateway):
    body, _ = LarkCallbacks("vt").event("im.chat.disbanded_v1", {"chat_id": "oc_1"}, encrypt=False)
    answer = gateway.send(json.loads(body))
    assert answer["code"] == 200 and answer["data"] is None


def test_garbage_gets_an_error_answer_and_the_connection_goes_on(server, gateway):
    assert gateway.send(b"not json")["code"] == 500
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))
    assert gateway.send(click_payload(message_id, {"button_type": "echo_sync", "button_id": "b1"}))["code"] == 200


def test_the_bot_pings_at_the_configured_interval(server, gateway):
    start = len(gateway.pings)
    eventually(lambda: len(gateway.pings) >= start + 3, "three more pings", timeout=10)
    recent = gateway.pings[start:start + 3]
    gaps = [later - earlier for earlier, later in zip(recent, recent[1:])]
    assert all(gap > PING_INTERVAL * 0.5 for gap in gaps), gaps  # paced, not a burst (how close: the figures)


def test_after_a_dropped_connection_the_bot_reconnects_and_the_next_click_works(server, gateway, figures):
    health = server.session.get(server.base_url + "/healthz", timeout=10).json()
    assert health["long_connection"] == "connected"
    opened = gateway.opened
    gateway.drop()
    dropped = time.monotonic()
    gateway.wait_for_connections(1, timeout=15, opened=opened + 1)
    figures["long connection reconnect"] = {"reconnected_after_s": round(time.monotonic() - dropped, 2),
                                            "reconnect_interval_s": 1}
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))
    answer = gateway.send(click_payload(message_id, {"button_type": "echo_sync", "button_id": "b1"}))
    assert answer["code"] == 200 and show_card(server, message_id)["version"] == 2
    assert "long connection closed" in server.log() and server.log().count("long connection open") >= 2


def test_a_connection_that_hears_no_pong_is_opened_again(server, gateway):
    opened = gateway.opened
    gateway.stop_answering_pings = True
    try:
        gateway.wait_for_connections(1, timeout=20, opened=opened + 1)  # two ping intervals of silence
    finally:
        gateway.stop_answering_pings = False
    assert "heard nothing for 2 s (no pong): reconnecting" in server.log()


def test_a_pong_may_change_the_ping_interval(server, gateway):
    gateway.pong_config = {"PingInterval": 0.3}
    try:
        start = len(gateway.pings)
        eventually(lambda: len(gateway.pings) >= start + 6, "faster pings", timeout=10)
    finally:
        gateway.pong_config = {"PingInterval": PING_INTERVAL}
        eventually(lambda: len(gateway.pings) >= start + 8, "the old interval back", timeout=10)
        gateway.pong_config = None


def test_the_callback_url_keeps_working_beside_it(server, kit):
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))
    response = server.post("/lark/callback", *kit.card_action_trigger(
        message_id=message_id, value={"button_type": "echo_sync", "button_id": "b1"}))
    assert response.status_code == 200 and response.json()["toast"]["content"].startswith("sync on")


def test_wrong_credentials_stop_start_up_with_a_clear_message(tmp_path, gateway, lark):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    env = server_environment({**SECRETS, **lark_app(lark), "LARK_APP_SECRET": "wrong"}, (TEST_PLUGINS,))
    result = subprocess.run([*BOT_COMMAND, "serve", "--config", str(tmp_path / "plugins.toml"), "--port", "1"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "error: the long connection was refused: code 514" in result.stderr
    assert "LARK_APP_ID and LARK_APP_SECRET" in result.stderr and "Traceback" not in result.stderr

