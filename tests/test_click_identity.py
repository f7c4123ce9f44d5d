"""Who clicked and which delivery a click is: every operator shape Lark sends, and legacy replays.

The bodies come from official examples in tests/fixtures/lark_payloads/ (see its README for the operator
shapes seen in the field), changed only where a live server needs it.
"""

from __future__ import annotations

import json
import secrets
import time

import pytest

from cardbot.testing import encrypt, signature_headers
from payloads import load_payload
from support import ENCRYPT_KEY, VERIFICATION_TOKEN, button_card, new_message_id, plugin_state, put_card, show_card

JSON = {"Content-Type": "application/json"}
ECHO = {"button_type": "echo_sync", "button_id": "b1"}
OPERATORS = {  # operator fields → the id cardbot must key the person by
    "user_id object, no open_id": ({"user_id": {"open_id": "ou_nested", "user_id": "u_nested",
                                                "union_id": "on_nested"}}, "ou_nested"),
    "user_id object and union_id": ({"user_id": {"user_id": "u_nested"}, "union_id": "on_1"}, "u_nested"),
    "user_id only": ({"user_id": "u_only"}, "u_only"),
    "union_id only": ({"union_id": "on_only"}, "on_only"),
}


def trigger_request(payload: dict, message_id: str, value: dict, operator: dict | None = None) -> tuple[bytes, dict]:
    """An official card.action.trigger body made live: fresh event id, our token, now, our card; signed and encrypted.

    The official example mixes a message card's context with a link preview's (`delivery_type: url_preview`);
    a preview card is stored under its preview token, so the preview fields go to make it a message card."""
    payload["header"] |= {"event_id": secrets.token_hex(16), "token": VERIFICATION_TOKEN,
                          "create_time": str(time.time_ns() // 1000)}
    event = payload["event"]
    event.pop("delivery_type", None)
    for key in ("url", "preview_token"):
        (event["context"] if "context" in event else payload["context"]).pop(key, None)
    event["action"]["value"] = value
    (event["context"] if "context" in event else payload["context"])["open_message_id"] = message_id
    if operator is not None:
        event["operator"] = {"tenant_key": event["operator"]["tenant_key"], **operator}
    body = json.dumps({"encrypt": encrypt(json.dumps(payload, ensure_ascii=False), ENCRYPT_KEY)}).encode()
    return body, {**JSON, **signature_headers(body, ENCRYPT_KEY)}


def legacy_request(message_id: str, value: dict, operator: dict) -> tuple[bytes, dict]:
    """The official legacy body with `operator`'s ids instead of its own, signed with the verification token."""
    payload = {key: item for key, item in load_payload("legacy_all_fields_doc").items() if key not in ("open_id", "user_id")}
    payload |= operator | {"open_message_id": message_id, "token": "c-" + secrets.token_hex(20)}
    payload["action"]["value"] = value
    body = json.dumps(payload, ensure_ascii=False).encode()
    return body, {**JSON, **signature_headers(body, VERIFICATION_TOKEN, legacy=True)}


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
@pytest.mark.parametrize("shape", OPERATORS)
def test_a_click_by_a_person_without_a_plain_open_id_reaches_the_plugin(bot, legacy, shape):
    operator, expected_id = OPERATORS[shape]
    message_id = new_message_id()
    put_card(bot, message_id, button_card("echo_sync"))
    request = (legacy_request(message_id, ECHO, operator) if legacy
               else trigger_request(load_payload("trigger_all_fields_doc"), message_id, ECHO, operator))

    response = bot.post("/lark/callback", *request)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["toast"]["content"].startswith("sync on plugin-echo_sync")
    card = answer if legacy else answer["card"]["data"]
    assert card["elements"][1]["actions"][0]["text"]["content"] == f"pressed by {expected_id}"
    history = show_card(bot, message_id, history=True)["history"]
    assert [entry["operator"] for entry in history] == [None, expected_id]


def test_the_official_example_with_host_and_context_beside_the_event_reaches_the_plugin(bot):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("echo_sync"))
    payload = load_payload("trigger_form_submit_multi_select_person_doc")
    assert "context" not in payload["event"] and "context" in payload  # the shape this test is about

    response = bot.post("/lark/callback", *trigger_request(payload, message_id, ECHO))

    assert response.status_code == 200, response.text
    assert response.json()["toast"]["content"].startswith("sync on plugin-echo_sync")
    operator = payload["event"]["operator"]["open_id"]
    assert show_card(bot, message_id, history=True)["history"][-1]["operator"] == operator


@pytest.mark.parametrize("replay", ["another refresh token", "no refresh token"])
def test_a_captured_legacy_click_replayed_with_other_unsigned_headers_runs_once(bot, kit, replay):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("count"))
    body, headers = kit.legacy_card_action(message_id=message_id, value={"button_type": "count", "button_id": "b1"})
    first = bot.post("/lark/callback", body, headers)
    assert first.status_code == 200 and first.json()["toast"]["content"] == "count 1"

    for attempt in range(4):
        if replay == "no refresh token":
            replayed = {key: value for key, value in headers.items() if key != "X-Refresh-Token"}
        else:
            replayed = headers | {"X-Refresh-Token": secrets.token_hex(16)}
        again = bot.post("/lark/callback", body, replayed)
        assert again.status_code == 200 and again.json()["toast"] == first.json()["toast"]

    assert plugin_state(bot, "counter", message_id)["count"] == 1
    assert show_card(bot, message_id)["version"] == 2
