"""The seed document's flow end to end: store the card, click it through a real server, see "已完成"."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from support import DONE_ELEMENTS, SEED_BUTTON, new_message_id, put_card, seed_card, server_database, show_card


def test_encrypted_signed_trigger_click_answers_the_done_card(bot, kit):
    message_id = new_message_id()
    assert put_card(bot, message_id, seed_card()) == 1

    body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    response = bot.post("/lark/callback", body, headers)

    assert response.status_code == 200
    answer = response.json()
    assert answer["card"] == {"type": "raw", "data": {"i18n_elements": {"zh_cn": DONE_ELEMENTS}}}
    assert answer["toast"]["type"] == "success" and answer["toast"]["content"] == "已完成"
    shown = show_card(bot, message_id, history=True)
    assert shown["version"] == 2
    assert shown["card"] == {"i18n_elements": {"zh_cn": DONE_ELEMENTS}}
    assert [entry["made_by"] for entry in shown["history"]] == ["put", "plugin"]
    click = shown["history"][1]
    assert (click["plugin"], click["button_type"]) == ("publish", "public_publish")
    assert click["operator"].startswith("ou_")
    assert click["patch"]["ops"] == [{"op": "elements", "locale": "zh_cn", "elements": DONE_ELEMENTS}]
    assert shown["history"][0]["created_at"] <= click["created_at"] <= time.time()
    if isinstance(server_database(bot), Path):
        with sqlite3.connect(server_database(bot)) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_legacy_click_answers_the_done_card_itself(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, seed_card())

    body, headers = kit.legacy_card_action(message_id=message_id, value=SEED_BUTTON)
    response = bot.post("/lark/callback", body, headers)

    assert response.status_code == 200
    answer = response.json()
    toast = answer.pop("toast")
    assert answer == {"i18n_elements": {"zh_cn": DONE_ELEMENTS}}
    assert toast["content"] == "已完成"
    assert show_card(bot, message_id)["version"] == 2


def test_every_locale_holding_the_button_is_replaced_and_others_kept(bot, kit):
    message_id = new_message_id()
    card = seed_card()
    card["i18n_elements"]["en_us"] = card["i18n_elements"]["zh_cn"]
    card["i18n_elements"]["ja_jp"] = [{"tag": "div", "text": {"tag": "plain_text", "content": "no button here"}}]
    put_card(bot, message_id, card)

    body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    data = bot.post("/lark/callback", body, headers).json()["card"]["data"]

    assert data["i18n_elements"]["zh_cn"] == DONE_ELEMENTS
    assert data["i18n_elements"]["en_us"] == DONE_ELEMENTS
    assert data["i18n_elements"]["ja_jp"] == card["i18n_elements"]["ja_jp"]


def test_card_without_locales_gets_its_elements_replaced(bot, kit):
    message_id = new_message_id()
    card = {"config": {"update_multi": True},
            "elements": seed_card()["i18n_elements"]["zh_cn"]}
    put_card(bot, message_id, card)

    body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    data = bot.post("/lark/callback", body, headers).json()["card"]["data"]

    assert data == {"config": {"update_multi": True}, "elements": DONE_ELEMENTS}
