"""The bundled publish plugin: its release webhook decides whether the card becomes "已完成"."""

from __future__ import annotations

import pytest

from support import DONE_ELEMENTS, SEED_BUTTON, new_message_id, put_card, seed_card, show_card, start_server
from webhook import ReleaseWebhook


@pytest.fixture(scope="module")
def webhook():
    with ReleaseWebhook() as hook:
        yield hook


@pytest.fixture(scope="module")
def publish_bot(tmp_path_factory, webhook):
    config = f'[bot]\ndatabase = "cardbot.db"\n[plugins.publish]\nenabled = true\nwebhook = "{webhook.url}"\ntimeout = 1\n'
    server = start_server(tmp_path_factory.mktemp("publish"), config)
    yield server
    server.stop()


def click_seed(server, kit, message_id, **kwargs):
    body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON, **kwargs)
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 200
    return response.json()


def test_a_successful_release_marks_the_card_done_and_tells_the_webhook_who_and_what(publish_bot, webhook, kit):
    webhook.answer({"code": 0, "msg": "released"})
    message_id = new_message_id()
    put_card(publish_bot, message_id, seed_card())

    answer = click_seed(publish_bot, kit, message_id, open_id="ou_releaser", chat_id="oc_team")

    assert answer["card"]["data"] == {"i18n_elements": {"zh_cn": DONE_ELEMENTS}}
    assert webhook.received[-1] == {"operator_id": "ou_releaser", "operator_id_type": "open_id",
                                    "open_id": "ou_releaser", "button_type": "public_publish",
                                    "button_id": "1626958617426", "message_id": message_id, "chat_id": "oc_team"}
    assert show_card(publish_bot, message_id)["version"] == 2


@pytest.mark.parametrize("answer_kwargs, reason", [
    ({"body": {"code": 1, "msg": "pipeline is locked"}}, "Release failed: pipeline is locked"),
    ({"body": {"code": 7}}, "Release failed: the release service answered code 7"),
    ({"status": 502, "body": {"msg": "bad gateway"}}, "Release failed: the release service answered HTTP 502"),
    ({"body": b"<html>not json</html>"}, "Release failed: the release service did not answer JSON"),
    ({"delay": 1.5}, "Release failed: the release service did not answer within 1 s"),
])
def test_a_failed_release_leaves_the_card_and_tells_the_clicker_why(publish_bot, webhook, kit, answer_kwargs, reason):
    webhook.answer(**answer_kwargs)
    message_id = new_message_id()
    put_card(publish_bot, message_id, seed_card())
    calls_before = len(webhook.received)

    answer = click_seed(publish_bot, kit, message_id)

    assert set(answer) == {"toast"}
    assert answer["toast"]["type"] == "error" and answer["toast"]["content"].startswith(reason)
    assert len(webhook.received) == calls_before + 1
    shown = show_card(publish_bot, message_id)
    assert (shown["version"], shown["card"]) == (1, seed_card())
    webhook.answer()


def test_without_a_webhook_the_card_is_only_marked_done(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, seed_card())
    assert click_seed(bot, kit, message_id)["card"]["data"]["i18n_elements"]["zh_cn"] == DONE_ELEMENTS
