"""Every interactive component routes: each official click payload in the corpus (tests/fixtures/lark_payloads/)
reaches the plugin that claims it, through a real server, with every field right, in both callback formats.

A payload is changed only where a live server needs it: a fresh event id and card id (the doc examples share
theirs), our token and time, and, for a component that names neither a `button_type` nor a `name` (a plain
`{"key": "value"}` value, as most doc examples have), a `button_type` in its value so that a plugin can claim it.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone
from typing import Any

import pytest

from payloads import load_payload, payload_names
from support import new_message_id, put_card, recorded, show_card, start_recorder

CLICKS = payload_names("trigger_") + [name for name in payload_names("legacy_") if name != "legacy_p2p_chat_create_doc"]


def _parts(payload: dict) -> tuple[dict, dict, dict]:
    """The payload's event (the body itself in a legacy callback), its context and its action."""
    legacy = "schema" not in payload
    event = payload if legacy else payload["event"]
    context = payload if legacy else event.get("context") or payload["context"]
    return event, context, event["action"]


NAMES = sorted({action["name"] for _, _, action in map(_parts, map(load_payload, CLICKS)) if action.get("name")})
STRING_VALUES = sorted({action["value"] for _, _, action in map(_parts, map(load_payload, CLICKS))
                        if isinstance(action.get("value"), str)})
CLAIMS = {"button_types": ["recorded", *STRING_VALUES], "names": NAMES}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recorded")
    server = start_recorder(tmp_path_factory.mktemp("bot"), folder, CLAIMS)
    yield server, folder
    server.stop()


def made_live(name: str) -> tuple[dict, dict, str]:
    """The payload with a fresh event id, time and card id (and preview token), its action, and the card's key."""
    payload = load_payload(name)
    event, context, action = _parts(payload)
    if "header" in payload:
        payload["header"] |= {"event_id": secrets.token_hex(16), "create_time": str(time.time_ns() // 1000)}
    context["open_message_id"] = new_message_id()
    value = action.get("value")
    claimable = action.get("name") or isinstance(value, str) or isinstance(value, dict) and "button_type" in value
    if not claimable:
        action["value"] = {**(value if isinstance(value, dict) else {}), "button_type": "recorded"}
    if event.get("delivery_type") == "url_preview":
        context["preview_token"] = secrets.token_hex(12)
        return payload, action, "preview:" + context["preview_token"]
    return payload, action, context["open_message_id"]


def card_for(action: dict) -> dict:
    """A card holding the clicked component (its value and name), so the stale-click guard finds it."""
    component: dict[str, Any] = {"tag": action.get("tag") or "button"}
    for key in ("name", "value"):
        if key in action:
            component[key] = action[key]
    return {"config": {"update_multi": True}, "elements": [component]}


def expected_fields(payload: dict, card_id: str) -> dict:
    """What the plugin must be given, read straight from the payload as sent."""
    legacy = "schema" not in payload
    event, context, action = _parts(payload)
    operator = payload if legacy else event["operator"]
    value = action.get("value")
    options = action.get("options", [])
    created = None if legacy else int(payload["header"]["create_time"]) / 1e6
    return {
        "operator_ids": {key: operator.get(key) for key in ("open_id", "user_id", "union_id")},
        "card_id": card_id,
        "message_id": context.get("open_message_id"),
        "chat_id": context.get("open_chat_id"),
        "tag": action.get("tag"),
        "name": action.get("name"),
        "value": value if isinstance(value, dict) else {},
        "value_text": value if isinstance(value, str) else None,
        "option": action.get("option"),
        "options": [options] if isinstance(options, str) else options,
        "form_value": action.get("form_value", {}),
        "input_value": action.get("input_value"),
        "checked": action.get("checked"),
        "timezone": action.get("timezone"),
        "update_token": event.get("token"),
        "host": None if legacy else event.get("host", payload.get("host")),
        "delivery_type": event.get("delivery_type"),
        "url": context.get("url"),
        "preview_token": context.get("preview_token"),
        "app_id": None if legacy else payload["header"].get("app_id"),
        "created_at": None if created is None else datetime.fromtimestamp(created, timezone.utc).isoformat(),
    }


def given_fields(recorded_action: dict) -> dict:
    fields = {key: recorded_action[key] for key in (
        "card_id", "message_id", "chat_id", "tag", "name", "value", "value_text", "option", "options", "form_value",
        "input_value", "checked", "timezone", "update_token", "host", "delivery_type", "url", "preview_token",
        "app_id", "created_at")}
    fields["operator_ids"] = {key: recorded_action["operator"][key] for key in ("open_id", "user_id", "union_id")}
    return fields


@pytest.mark.parametrize("name", CLICKS)
def test_each_official_click_reaches_its_plugin_with_every_field(recording, kit, name):
    server, folder = recording
    payload, action, card_id = made_live(name)
    put_card(server, card_id, card_for(action))

    response = server.post("/lark/callback", *kit.payload(payload, fresh=False))

    assert response.status_code == 200, response.text
    toast = response.json()["toast"]
    assert toast["content"] == "recorded", toast
    mine = [entry for entry in recorded(folder, "cardbot_action") if entry["card_id"] == card_id]
    assert len(mine) == 1
    assert given_fields(mine[0]) == expected_fields(payload, card_id)
    assert show_card(server, card_id, history=True)["clicks"][0]["plugin"] == "recorder"
