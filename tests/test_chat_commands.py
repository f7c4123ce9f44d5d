"""Chat messages and commands through a real server and the stand-in Lark platform: the bundled vote plugin's
`poll` command in a group (with the bot's @mention) and in a direct chat, the same message pushed again,
a malformed command, and messages nobody takes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cardbot.testing import FakeLarkPlatform
from support import SECRETS, eventually, lark_app, plaintext, show_card, start_server

BOT_OPEN_ID = "ou_bot_7f3a"
CONFIG = '[bot]\ndatabase = "cardbot.db"\n[plugins.vote]\nenabled = true\n'
POLL = '@_user_1 poll "Lunch today?" Noodles Rice "Hot pot"'


@pytest.fixture(scope="module")
def lark(module_database):  # one stand-in per backend's server
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", bot_open_id=BOT_OPEN_ID) as platform:
        yield platform


@pytest.fixture(scope="module")
def server(tmp_path_factory, lark, module_database):
    bot = start_server(tmp_path_factory.mktemp("bot"), CONFIG, env={**SECRETS, **lark_app(lark)},
                       database=module_database)
    yield bot
    bot.stop()


def replies_to(lark: FakeLarkPlatform, message_id: str) -> list[tuple[str, dict]]:
    return [(reply_id, sent) for reply_id, sent in list(lark.messages.items()) if sent.get("reply_to") == message_id]


def say(server, lark, kit, text: str, *, chat_id: str, chat_type: str = "group", mention_bot: bool = True,
        figures: dict | None = None, **options: Any) -> str:
    """Post `text` as a chat message (registered with the stand-in so replies land in `chat_id`); its id."""
    body, headers = kit.message_receive(text, chat_id=chat_id, chat_type=chat_type,
                                        mentions=[(BOT_OPEN_ID, "cardbot")] if mention_bot else [], **options)
    message_id = plaintext(body)["event"]["message"]["message_id"]
    lark.register_message(message_id, chat_id)
    started = time.monotonic()
    response = server.post("/lark/callback", body, headers)
    if figures is not None:
        figures.setdefault("answer_ms", []).append(round((time.monotonic() - started) * 1000, 1))
    assert (response.status_code, response.json()) == (200, {}), response.text
    return message_id


def the_poll(lark, message_id: str) -> tuple[str, dict]:
    reply_id, sent = eventually(lambda: replies_to(lark, message_id) and replies_to(lark, message_id)[0],
                                f"the reply to {message_id}")
    assert sent["msg_type"] == "interactive"
    return reply_id, sent


def button_labels(card: dict) -> list[str]:
    return [element["text"]["content"] for element in card["body"]["elements"] if element["tag"] == "button"]


def test_a_poll_command_in_a_group_replies_with_a_stored_clickable_poll(server, lark, kit, figures):
    message_id = say(server, lark, kit, POLL, chat_id="oc_team", figures=figures)

    reply_id, sent = the_poll(lark, message_id)
    assert sent["chat_id"] == "oc_team"
    card = sent["card"]
    assert card["header"]["title"]["content"] == "Lunch today?"
    assert button_labels(card) == ["Noodles", "Rice", "Hot pot"]
    assert card["body"]["elements"][1]["behaviors"][0]["value"] == {"button_type": "vote", "option": "Rice"}
    assert show_card(server, reply_id)["version"] == 1 and show_card(server, reply_id)["card"] == card

    body, headers = kit.card_action_trigger(message_id=reply_id, chat_id="oc_team", tag="button",
                                            value={"button_type": "vote", "option": "Rice"})
    answer = server.post("/lark/callback", body, headers).json()
    assert answer["toast"]["content"] == "Vote counted"
    assert button_labels(answer["card"]["data"]) == ["Noodles (0)", "Rice (1)", "Hot pot (0)"]
    assert show_card(server, reply_id)["version"] == 2
    figures["chat commands"] = {"answer_ms": figures.pop("answer_ms")}


def test_a_poll_command_in_a_direct_chat_needs_no_mention_and_may_start_with_a_slash(server, lark, kit):
    message_id = say(server, lark, kit, '/poll "Tea or coffee?" Tea Coffee', chat_id="oc_direct",
                     chat_type="p2p", mention_bot=False)

    reply_id, sent = the_poll(lark, message_id)
    assert sent["chat_id"] == "oc_direct" and button_labels(sent["card"]) == ["Tea", "Coffee"]
    assert show_card(server, reply_id)["version"] == 1


def test_the_same_message_pushed_three_times_makes_one_poll(server, lark, kit):
    body, headers = kit.message_receive(POLL, chat_id="oc_again", mentions=[(BOT_OPEN_ID, "cardbot")])
    payload = plaintext(body)
    message_id = payload["event"]["message"]["message_id"]
    lark.register_message(message_id, "oc_again")

    for _ in range(3):  # Lark may push a message again under a new event id: the message id is what dedupes it
        payload["header"]["event_id"] = f"ev_{time.time_ns()}"
        response = server.post("/lark/callback", *kit.payload(payload))
        assert (response.status_code, response.json()) == (200, {})

    the_poll(lark, message_id)
    eventually(lambda: server.log().count(f"delivery msg:{message_id} is a repeat") == 2, "two repeats logged")
    eventually(lambda: f"delivery msg:{message_id} handled by vote: done" in server.log(), "the poll to be done")
    assert len(replies_to(lark, message_id)) == 1


def test_a_malformed_poll_gets_one_text_reply_with_the_syntax_and_no_card(server, lark, kit):
    message_id = say(server, lark, kit, "@_user_1 poll Lunch? Noodles", chat_id="oc_typo")

    reply_id, sent = eventually(lambda: replies_to(lark, message_id) and replies_to(lark, message_id)[0],
                                "the syntax reply")
    assert sent["msg_type"] == "text"
    text = sent["content"]["text"]
    assert "A poll takes 2 to 10 options, not 1" in text and "Usage: poll QUESTION OPTION OPTION" in text
    eventually(lambda: f"delivery msg:{message_id} handled by vote: done" in server.log(), "the command to be done")
    assert len(replies_to(lark, message_id)) == 1
    assert server.cli("card", "show", reply_id).returncode != 0  # a text reply stores no card


def test_a_group_message_without_the_bot_mention_is_no_command(server, lark, kit):
    message_id = say(server, lark, kit, "poll Lunch? Noodles Rice", chat_id="oc_chatter", mention_bot=False)

    eventually(lambda: f"message {message_id} in oc_chatter: no plugin takes it" in server.log(), "the log line")
    assert replies_to(lark, message_id) == []


def test_the_bot_asks_lark_who_it_is_once(server, lark, kit):
    say(server, lark, kit, "@_user_1 poll Q a b", chat_id="oc_once")
    say(server, lark, kit, "@_user_1 poll Q c d", chat_id="oc_once")
    assert lark.bot_info_requests == 1


def test_healthz_names_the_owner_of_every_claim(server):
    health = server.session.get(server.base_url + "/healthz", timeout=10).json()
    assert health["routes"] == {"vote": "vote"}
    assert health["owners"] == {"vote": "vote", "command:poll": "vote"}
