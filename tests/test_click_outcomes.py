"""Every way a click can end: changed, unknown card, unclaimed, stale, repeated, failed plugin."""

from __future__ import annotations

import pytest

from support import (SEED_BUTTON, button_card, database_snapshot, new_message_id, plugin_state, put_card,
                      seed_card, show_card)


def click(bot, kit, message_id, value, *, legacy=False, **kwargs):
    build = kit.legacy_card_action if legacy else kit.card_action_trigger
    response = bot.post("/lark/callback", *build(message_id=message_id, value=value, **kwargs))
    assert response.status_code == 200, response.text
    return response.json()


def test_sync_plugin_runs_on_its_own_thread_and_gets_its_config(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("echo_sync"))
    answer = click(bot, kit, message_id, {"button_type": "echo_sync", "button_id": "b1"}, open_id="ou_alice")
    assert answer["toast"]["content"].startswith("sync on plugin-echo_sync")
    button = answer["card"]["data"]["elements"][1]["actions"][0]
    assert button["text"]["content"] == "pressed by ou_alice"  # "pressed" is its [plugins.echo_sync] label


def test_async_plugin_runs_on_its_own_event_loop(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("echo_async"))
    answer = click(bot, kit, message_id, {"button_type": "echo_async", "button_id": "b1"})
    # its own loop, not the serving one, and the loop its cardbot_startup ran on
    assert answer["toast"]["content"] == "async on plugin-echo_async-loop, started on plugin-echo_async-loop"
    assert show_card(bot, message_id)["version"] == 2


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
def test_a_plugin_returning_nothing_gets_an_empty_answer_and_no_new_version(bot, kit, legacy):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("echo_sync", quiet=True))
    answer = click(bot, kit, message_id, {"button_type": "echo_sync", "button_id": "b1", "quiet": True}, legacy=legacy)
    assert answer == {}
    assert show_card(bot, message_id)["version"] == 1


def test_unknown_card_gets_a_toast_and_nothing_is_stored_for_it(bot, kit):
    message_id = new_message_id()
    answer = click(bot, kit, message_id, SEED_BUTTON)
    assert set(answer) == {"toast"}
    assert answer["toast"]["type"] == "error" and "not known" in answer["toast"]["content"]
    assert bot.cli("card", "show", message_id).returncode == 1


def test_unclaimed_button_type_gets_a_toast_and_a_hint_in_the_log(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("nobody_owns_this"))
    answer = click(bot, kit, message_id, {"button_type": "nobody_owns_this", "button_id": "b1"})
    assert set(answer) == {"toast"}
    assert "nobody_owns_this" in answer["toast"]["content"]
    log = bot.log()
    assert "no enabled plugin claims button_type 'nobody_owns_this'" in log
    assert "def cardbot_claims():" in log and "return ['nobody_owns_this']" in log
    assert show_card(bot, message_id)["version"] == 1


def test_a_plugin_left_off_is_never_imported_and_its_clicks_are_unclaimed(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("offline"))
    answer = click(bot, kit, message_id, {"button_type": "offline", "button_id": "b1"})
    assert "offline" in answer["toast"]["content"] and answer["toast"]["content"] != "offline ran"
    assert not (bot.directory / "markers" / "offline-imported").exists()


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
def test_a_repeated_delivery_runs_nothing_and_answers_the_first_toast_with_the_card_now(bot, kit, legacy):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("count"))
    value = {"button_type": "count", "button_id": "b1"}
    same_delivery = {"refresh_token": "refresh-1", "update_token": "c-1"} if legacy else {"event_id": "evt-1" + message_id}

    first = click(bot, kit, message_id, value, legacy=legacy, **same_delivery)
    card_after_first = show_card(bot, message_id)
    other = click(bot, kit, message_id, value, legacy=legacy)  # a different click moves the card on
    again = click(bot, kit, message_id, value, legacy=legacy, **same_delivery)

    assert first["toast"]["content"] == "count 1" and other["toast"]["content"] == "count 2"
    assert again["toast"] == first["toast"]
    current = show_card(bot, message_id)
    assert current["version"] == card_after_first["version"] + 1 == 3
    shown = again if legacy else again["card"]["data"]
    shown = {key: value for key, value in shown.items() if key != "toast"}
    assert shown == current["card"]  # the card as it is now, never the stale one
    assert plugin_state(bot, "counter", message_id)["count"] == 2


def test_a_click_on_a_component_no_longer_on_the_card_runs_nothing(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, seed_card())
    assert click(bot, kit, message_id, SEED_BUTTON)["toast"]["content"] == "已完成"  # removes the button
    before = show_card(bot, message_id)

    second = click(bot, kit, message_id, SEED_BUTTON)  # a double-click: a new delivery, same button

    assert second["toast"]["type"] == "info"
    assert second["card"]["data"] == before["card"]
    assert show_card(bot, message_id)["version"] == before["version"] == 2


def test_state_commits_with_the_card(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("count"))
    total_before = plugin_state(bot, "counter", "").get("total", 0)
    for person in ("ou_a", "ou_b", "ou_c"):
        click(bot, kit, message_id, {"button_type": "count", "button_id": "b1"}, open_id=person)
    state = plugin_state(bot, "counter", message_id)
    assert state == {"count": 3, "clicker:ou_a": 1, "clicker:ou_b": 2, "clicker:ou_c": 3}
    assert plugin_state(bot, "counter", "")["total"] == total_before + 3
    history = show_card(bot, message_id, history=True)["history"]
    assert [entry["version"] for entry in history] == [1, 2, 3, 4]


@pytest.mark.parametrize("kind, toast_part, log_part", [
    ("raise", "zoo plugin failed", "raised RuntimeError: boom"),
    ("decline", "You may not do that", None),
    ("garbage", "zoo plugin failed", "cardbot_action returned dict; expected cardbot.Patch or None"),
    ("bloat", "zoo plugin failed", "returned a patch that makes the card invalid: the card is"),
    ("missing", "zoo plugin failed", "returned a patch that cannot be applied"),
    ("schema", "zoo plugin failed", "returned a patch that makes the card invalid"),
])
def test_a_failing_plugin_leaves_card_and_state_unchanged_and_is_named(bot, kit, kind, toast_part, log_part):
    message_id = new_message_id()
    put_card(bot, message_id, button_card(kind))
    before = database_snapshot(bot)["cards"]

    answer = click(bot, kit, message_id, {"button_type": kind, "button_id": "b1"})

    assert set(answer) == {"toast"} and answer["toast"]["type"] == "error"
    assert toast_part in answer["toast"]["content"]
    assert database_snapshot(bot)["cards"] == before
    assert plugin_state(bot, "zoo", message_id) == {}
    lines = [line for line in bot.log().splitlines() if f"on message {message_id}: " in line]
    if log_part is None:  # a refusal on purpose is no fault: INFO
        assert len(lines) == 1 and " INFO [" in lines[0]
        assert lines[0].endswith(f"cardbot.clicks: plugin 'zoo' declined the click on message {message_id}: "
                                 f"You may not do that")
    else:
        assert len(lines) == 1 and " WARNING [" in lines[0]
        assert f"cardbot.clicks: plugin 'zoo' failed on message {message_id}: {log_part}" in lines[0]
    # the other plugins keep working
    put_card(bot, message_id + "x", button_card("echo_async"))
    assert click(bot, kit, message_id + "x", {"button_type": "echo_async", "button_id": "b1"})["card"]


def test_a_refusal_shows_the_plugins_translations_each_with_the_unchanged_suffix_where_cardbot_has_one(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, button_card("decline_i18n"))

    answer = click(bot, kit, message_id, {"button_type": "decline_i18n", "button_id": "b1"})

    assert answer == {"toast": {"type": "error", "content": "You may not do that (the card is unchanged)", "i18n": {
        "en_us": "You may not do that (the card is unchanged)", "zh_cn": "你不能这样做（卡片未改变）",
        "fr_fr": "Vous ne pouvez pas"}}}
    assert show_card(bot, message_id, history=True)["clicks"][0]["status"] == "failed"


def test_callbacks_and_events_nobody_claims_are_acknowledged_with_an_empty_object(bot, kit):
    before = database_snapshot(bot)
    preview = bot.post("/lark/callback", *kit.url_preview_get("https://nobody-claims.example/x"))
    event = bot.post("/lark/callback", *kit.event("im.chat.disbanded_v1", {"chat_id": "oc_1"}))
    assert (preview.status_code, preview.json()) == (200, {})
    assert (event.status_code, event.json()) == (200, {})
    assert "link preview of https://nobody-claims.example/x: no plugin's URL pattern matches it" in bot.log()
    assert "event im.chat.disbanded_v1 received and acknowledged; no plugin claims it" in bot.log()
    assert database_snapshot(bot) == before
