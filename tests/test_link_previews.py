"""Link previews through a real server: `url.preview.get` reaches the plugin whose URL pattern matches, its
answer (inline title and card) comes back within the deadline, the card is stored under the preview token,
clicks on the preview card are routed and stored there, and a plugin can refresh previews."""

from __future__ import annotations

import json

import pytest

from cardbot.testing import FakeLarkPlatform
from payloads import load_payload
from support import lark_app, recorded, show_card, start_recorder

URL = "https://tickets.example.com/T-1"
NEXT_CARD = {"config": {"update_multi": True}, "elements": [{"tag": "div", "text": {"tag": "plain_text",
                                                                                     "content": "closed"}}]}
PREVIEW_CARD = {"config": {"update_multi": True}, "elements": [
    {"tag": "div", "text": {"tag": "plain_text", "content": "T-1: printer on fire"}},
    {"tag": "action", "actions": [
        {"tag": "button", "text": {"tag": "plain_text", "content": "Close"},
         "value": {"button_type": "recorded", "button_id": "close", "card": NEXT_CARD}},
        {"tag": "button", "text": {"tag": "plain_text", "content": "Refresh"},
         "value": {"button_type": "recorded", "button_id": "refresh", "refresh": True}}]}]}
CLAIMS = {"button_types": ["recorded"], "url_patterns": ["https://tickets.example.com/*", "https://example.com/*"]}


@pytest.fixture(scope="module")
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as platform:
        yield platform


@pytest.fixture(scope="module")
def recording(tmp_path_factory, lark):
    folder = tmp_path_factory.mktemp("recorded")
    server = start_recorder(tmp_path_factory.mktemp("bot"), folder, CLAIMS, bot_table="deadline = 1.0\n",
                            env={**lark_app(lark), "CARDBOT_RECORDER_PREVIEW_CARD": json.dumps(PREVIEW_CARD)})
    yield server, folder
    server.stop()


def test_a_preview_answers_its_title_and_card_and_stores_the_card_under_its_token(recording, kit):
    server, folder = recording
    response = server.post("/lark/callback", *kit.url_preview_get(URL, preview_token="pt-answer", open_id="ou_typist"))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "inline": {"title": f"Preview of {URL}", "i18n_title": {"zh_cn": f"{URL} 的预览"}, "url": {"pc": URL}},
        "card": {"type": "raw", "data": PREVIEW_CARD},
    }
    shown = show_card(server, "preview:pt-answer", history=True)
    assert (shown["version"], shown["card"]) == (1, PREVIEW_CARD)
    assert shown["history"][0]["made_by"] == "preview:recorder"
    asked = [entry for entry in recorded(folder, "cardbot_link_preview") if entry["preview_token"] == "pt-answer"]
    assert asked == [{"url": URL, "preview_token": "pt-answer", "operator": "ou_typist", "host": "im_message",
                      "message_id": None, "chat_id": None}]


def test_a_preview_asked_for_again_with_the_same_card_makes_no_new_version(recording, kit):
    server, _ = recording
    for _ in range(2):
        assert server.post("/lark/callback", *kit.url_preview_get(URL, preview_token="pt-again")).status_code == 200
    assert show_card(server, "preview:pt-again")["version"] == 1


def test_a_click_on_a_preview_card_is_routed_and_stored_under_the_preview_token(recording, kit):
    server, folder = recording
    server.post("/lark/callback", *kit.url_preview_get(URL, preview_token="pt-click"))

    body, headers = kit.card_action_trigger(message_id=None, chat_id=None, preview=(URL, "pt-click"),
                                            value=PREVIEW_CARD["elements"][1]["actions"][0]["value"])
    answer = server.post("/lark/callback", body, headers).json()

    assert answer == {"toast": {"type": "success", "content": "recorded"}, "card": {"type": "raw", "data": NEXT_CARD}}
    assert show_card(server, "preview:pt-click")["card"] == NEXT_CARD
    click = [entry for entry in recorded(folder, "cardbot_action") if entry["card_id"] == "preview:pt-click"][0]
    assert (click["delivery_type"], click["url"], click["preview_token"], click["message_id"]) == (
        "url_preview", URL, "pt-click", None)


def test_a_plugin_refreshes_a_preview_through_lark(recording, kit, lark):
    server, _ = recording
    server.post("/lark/callback", *kit.url_preview_get(URL, preview_token="pt-refresh"))

    body, headers = kit.card_action_trigger(message_id=None, preview=(URL, "pt-refresh"),
                                            value=PREVIEW_CARD["elements"][1]["actions"][1]["value"])
    assert server.post("/lark/callback", body, headers).json()["toast"]["content"] == "recorded"

    assert [refresh.tokens for refresh in lark.preview_refreshes] == [["pt-refresh"]]


def test_the_official_preview_examples_reach_the_plugin(recording, kit):
    server, folder = recording
    guide = load_payload("other_url_preview_get_guide_doc")  # https://example.com/test/111
    response = server.post("/lark/callback", *kit.payload(guide))
    assert response.json()["inline"]["title"] == "Preview of https://example.com/test/111"
    assert show_card(server, "preview:e28r7df2-xxxx-477d-a8d0-2e1eb9971234")["version"] == 1
    entry = [e for e in recorded(folder, "cardbot_link_preview") if e["url"] == "https://example.com/test/111"][-1]
    assert entry == {"url": "https://example.com/test/111", "preview_token": "e28r7df2-xxxx-477d-a8d0-2e1eb9971234",
                     "operator": "ou_xxxxx54182ea7b8319f4d39823b79d2", "host": "im_message",
                     "message_id": "om_191d914xxxxx81c97a609c6634521234",
                     "chat_id": "oc_20443194b65f9c8cf2935818dae31234"}
    doc = load_payload("other_url_preview_get_doc")  # its url is "xxx": no pattern matches
    assert server.post("/lark/callback", *kit.payload(doc)).json() == {}
    assert "link preview of xxx: no plugin's URL pattern matches it" in server.log()


def test_a_preview_past_the_deadline_is_answered_without_one(recording, kit):
    server, _ = recording
    response = server.post("/lark/callback", *kit.url_preview_get("https://tickets.example.com/slow",
                                                                   preview_token="pt-slow"))
    assert (response.status_code, response.json()) == (200, {})
    assert "the preview of https://tickets.example.com/slow took longer than the deadline (1 s)" in server.log()
    assert server.cli("card", "show", "preview:pt-slow").returncode != 0


def test_a_preview_request_without_its_url_is_refused(recording, kit):
    server, _ = recording
    body, headers = kit.event("url.preview.get", {"context": {"preview_token": "pt"}})
    response = server.post("/lark/callback", body, headers)
    assert (response.status_code, response.json()) == (400, {"error": "event.context.url must be a non-empty string"})
