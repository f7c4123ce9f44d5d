"""The worked examples of docs/plugins.md are real: the code it quotes is cardbot_testplugins/examples.py verbatim,
and each example (a form, a select menu, a chat command, a link preview and clicks on its card) works through a
real server and the stand-in Lark platform."""

from __future__ import annotations

import importlib.util
import json
import re
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cardbot.protocol.crypto import decrypt
from cardbot.testing import FakeLarkPlatform, LarkCallbacks
from support import (ENCRYPT_KEY, ROOT, SECRETS, TEST_PLUGINS, eventually, lark_app, new_message_id, put_card,
                     show_card, start_server)

DOCS = ROOT / "docs"
PLUGINS_MD = DOCS / "plugins.md"
PAGES = sorted(DOCS.rglob("*.md"))
EXAMPLES_PY = TEST_PLUGINS / "cardbot_testplugins" / "examples.py"
MARKER = re.compile(r"<!-- from ((?:tests|examples)/[\w/.-]+\.py) -->")
"""Marks the ```python block after it as a verbatim excerpt of that file (a test plugin, an example, a test)."""
BOT_OPEN_ID = "ou_bot_5c1e"
CONFIG = '''
[bot]
database = "cardbot.db"

[plugins.examples]
enabled = true
module = "cardbot_testplugins.examples"
'''
TICKET_URL = "https://tickets.example.com/T-{}"


def _examples_module() -> Any:
    """examples.py itself, for its cards (the server imports it from tests/testplugins; this process does not)."""
    spec = importlib.util.spec_from_file_location("doc_examples", EXAMPLES_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLES = _examples_module()
EXPENSE_CARD, LUNCH_CARD = EXAMPLES.EXPENSE_CARD, EXAMPLES.LUNCH_CARD


def quoted_blocks(page: Path) -> list[tuple[str, str]]:
    """(file, code) of each ```python block of `page` that the line just before marks as quoting a test plugin."""
    return re.findall(r"^" + MARKER.pattern + r"\n```python\n(.*?)^```$", page.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def test_the_worked_examples_quote_the_tested_plugins():
    files = [file for file, _ in quoted_blocks(PLUGINS_MD)]
    assert files.count("tests/testplugins/cardbot_testplugins/examples.py") >= 6, (
        "docs/plugins.md must quote the claims and each of the four examples")
    assert "tests/testplugins/cardbot_testplugins/approvals.py" in files, "and the approval example"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_every_quoted_block_is_in_its_plugin_verbatim(page):
    for file, block in quoted_blocks(page):
        source = (ROOT / file).read_text(encoding="utf-8")
        assert block in source, f"{page.name} quotes code that {file} does not have:\n{block}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_every_marker_is_followed_by_a_python_block(page):
    lines = page.read_text(encoding="utf-8").splitlines()
    markers = [number for number, line in enumerate(lines) if MARKER.fullmatch(line)]
    assert all(number + 1 < len(lines) and lines[number + 1] == "```python" for number in markers), page
    assert len(markers) == len(quoted_blocks(page))


@pytest.fixture(scope="module")
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", bot_open_id=BOT_OPEN_ID) as platform:
        yield platform


@pytest.fixture(scope="module")
def server(tmp_path_factory, lark):
    bot = start_server(tmp_path_factory.mktemp("bot"), CONFIG, env={**SECRETS, **lark_app(lark)})
    yield bot
    bot.stop()


def click(server, kit: LarkCallbacks, **fields: Any) -> dict:
    """Send one card.action.trigger; its JSON answer (the callback is always answered 200)."""
    response = server.post("/lark/callback", *kit.card_action_trigger(**fields))
    assert response.status_code == 200, response.text
    return response.json()


def markdown(card: dict) -> list[str]:
    return [element["content"] for element in card["body"]["elements"] if element["tag"] == "markdown"]


# (a) a form with inputs and a submit button, claimed by the button's name

def test_submitting_the_form_replaces_it_with_what_was_filed(server, kit):
    message_id = new_message_id()
    put_card(server, message_id, EXPENSE_CARD)

    answer = click(server, kit, message_id=message_id, name="expense_submit",
                   form_value={"amount": "12.5", "reason": "Taxi to the airport"})

    assert answer["toast"]["content"] == "Expense submitted"
    card = answer["card"]["data"]
    assert markdown(card) == ["**12.50 EUR** for Taxi to the airport: submitted"]
    assert all(element["tag"] != "form" for element in card["body"]["elements"])
    stored = show_card(server, message_id)
    assert (stored["version"], stored["card"]) == (2, card)

    again = click(server, kit, message_id=message_id, name="expense_submit",
                  form_value={"amount": "12.5", "reason": "Taxi to the airport"})
    assert again["toast"]["type"] == "info" and "changed since you opened it" in again["toast"]["content"]
    assert show_card(server, message_id)["version"] == 2


@pytest.mark.parametrize("form_value, refusal", [
    ({"amount": "twelve", "reason": "Taxi"}, "'twelve' is not an amount; write it like 12.50"),
    ({"amount": "12.345", "reason": "Taxi"}, "'12.345' is not an amount; write it like 12.50"),
    ({"amount": "12", "reason": "  "}, "Say what the expense was for"),
])
def test_a_form_filled_wrongly_is_refused_and_stays(server, kit, form_value, refusal):
    message_id = new_message_id()
    put_card(server, message_id, EXPENSE_CARD)

    answer = click(server, kit, message_id=message_id, name="expense_submit", form_value=form_value)

    assert answer["toast"]["type"] == "error" and answer["toast"]["content"].startswith(refusal), answer
    assert show_card(server, message_id)["version"] == 1


# (b) a select menu, claimed by the button_type in its callback value

def test_picking_in_the_select_menu_writes_the_choice_on_the_card(server, kit):
    message_id = new_message_id()
    put_card(server, message_id, LUNCH_CARD)
    value = {"button_type": "lunch_pick"}

    answer = click(server, kit, message_id=message_id, tag="select_static", value=value, option="salad")
    assert answer["toast"] == {"type": "info", "content": "the salad place it is"}
    assert markdown(answer["card"]["data"]) == ["Lunch at **the salad place**"]

    answer = click(server, kit, message_id=message_id, tag="select_static", value=value, option="pizza")
    assert markdown(answer["card"]["data"]) == ["Lunch at **Pizza Uno**"]
    assert show_card(server, message_id)["version"] == 3

    answer = click(server, kit, message_id=message_id, tag="select_static", value=value, option="sushi")
    assert answer["toast"]["type"] == "error" and "That place is not on the menu" in answer["toast"]["content"]
    assert show_card(server, message_id)["version"] == 3


# (c) a chat command: a card reply or a text reply

def say(server, lark, kit, text: str, chat_id: str, *, chat_type: str = "group") -> str:
    """Post `text` to the bot (with its @mention in a group); the message's id, once its 200 came back."""
    mentions = [(BOT_OPEN_ID, "cardbot")] if chat_type == "group" else []
    body, headers = kit.message_receive(text, chat_id=chat_id, chat_type=chat_type, mentions=mentions)
    message_id = json.loads(decrypt(json.loads(body)["encrypt"], ENCRYPT_KEY))["event"]["message"]["message_id"]
    lark.register_message(message_id, chat_id)
    response = server.post("/lark/callback", body, headers)
    assert (response.status_code, response.json()) == (200, {}), response.text
    return message_id


def reply_to(lark, message_id: str) -> tuple[str, dict]:
    """The bot's one reply to `message_id`: its id and what the stand-in recorded."""
    def replies():
        return [(reply_id, sent) for reply_id, sent in list(lark.messages.items()) if sent.get("reply_to") == message_id]
    return eventually(lambda: replies() and replies()[0], f"the reply to {message_id}")


def test_the_command_without_arguments_replies_with_the_form_which_works(server, lark, kit):
    message_id = say(server, lark, kit, "@_user_1 expense", "oc_finance")

    reply_id, sent = reply_to(lark, message_id)
    assert sent["msg_type"] == "interactive" and sent["card"] == EXPENSE_CARD and sent["chat_id"] == "oc_finance"
    stored = show_card(server, reply_id)
    assert (stored["version"], stored["card"]) == (1, EXPENSE_CARD)

    answer = click(server, kit, message_id=reply_id, chat_id="oc_finance", name="expense_submit",
                   form_value={"amount": "40", "reason": "Team lunch"})
    assert markdown(answer["card"]["data"]) == ["**40.00 EUR** for Team lunch: submitted"]


@pytest.mark.parametrize("text, reply", [
    ('@_user_1 expense 12.50 "Taxi to the airport"', "Filed 12.50 EUR for Taxi to the airport"),
    ("@_user_1 expense 7 Coffee beans", "Filed 7.00 EUR for Coffee beans"),
    ("@_user_1 expense 12.50", "Say what it was for: @bot expense 12.50 Taxi to the airport"),
    ("@_user_1 expense lots Taxi", "'lots' is not an amount; write it like 12.50"),
    ('@_user_1 expense 3 "Taxi', "I could not read that (No closing quotation); try: @bot expense 12.50 Taxi"),
])
def test_the_command_with_arguments_replies_in_text(server, lark, kit, text, reply):
    message_id = say(server, lark, kit, text, "oc_finance")

    reply_id, sent = reply_to(lark, message_id)
    assert (sent["msg_type"], sent["content"]) == ("text", {"text": reply})
    assert server.cli("card", "show", reply_id).returncode == 1  # a text reply stores no card


def test_the_command_works_in_a_direct_chat_without_a_mention(server, lark, kit):
    message_id = say(server, lark, kit, "expense 3 Pens", "oc_direct_finance", chat_type="p2p")

    assert reply_to(lark, message_id)[1]["content"] == {"text": "Filed 3.00 EUR for Pens"}


# (d) a link preview, clicks on its card, and the refresh

def preview(server, kit, url: str, token: str) -> dict:
    response = server.post("/lark/callback", *kit.url_preview_get(url, preview_token=token))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_ticket_link_previews_with_a_title_and_a_stored_card(server, kit):
    token = secrets.token_hex(12)

    answer = preview(server, kit, TICKET_URL.format(2), token)

    assert answer["inline"] == {"title": "T-2: Coffee machine empty"}
    card = answer["card"]["data"]
    assert answer["card"]["type"] == "raw" and card["header"]["title"]["content"] == "T-2: Coffee machine empty"
    assert markdown(card) == ["Status: **open**"]
    stored = show_card(server, "preview:" + token)
    assert (stored["version"], stored["card"]) == (1, card)


@pytest.mark.parametrize("url", ["https://tickets.example.com/T-999", "https://tickets.example.com/P-1",
                                 "https://example.com/T-1"])
def test_links_without_a_ticket_get_no_preview(server, kit, url):
    token = secrets.token_hex(12)

    assert preview(server, kit, url, token) == {}
    assert server.cli("card", "show", "preview:" + token).returncode == 1


def test_closing_a_ticket_on_its_preview_card_patches_it_and_refreshes_the_preview(server, lark, kit):
    url, token = TICKET_URL.format(1), secrets.token_hex(12)
    preview(server, kit, url, token)
    close = {"button_type": "ticket_close", "ticket": "T-1"}

    answer = click(server, kit, message_id=None, preview=(url, token), value=close)

    assert answer["toast"] == {"type": "success", "content": "Ticket closed"}
    card = answer["card"]["data"]
    assert markdown(card) == ["Status: **closed**"] and [e["tag"] for e in card["body"]["elements"]] == ["markdown"]
    assert show_card(server, "preview:" + token)["version"] == 2
    assert [refresh.tokens for refresh in lark.preview_refreshes] == [[token]]

    again = preview(server, kit, url, token)  # what Lark asks after the refresh: the same card, so no new version
    assert again["card"]["data"] == card and again["inline"] == {"title": "T-1: Printer on fire"}
    assert show_card(server, "preview:" + token)["version"] == 2

    stale = click(server, kit, message_id=None, preview=(url, token), value=close)  # the button has gone
    assert "changed since you opened it" in stale["toast"]["content"]
    assert len(lark.preview_refreshes) == 1


def test_a_preview_asked_for_while_a_click_on_its_card_runs_leaves_the_click_working(server, lark, kit):
    url, token = TICKET_URL.format(3), secrets.token_hex(12)
    preview(server, kit, url, token)
    lark.delay("preview_refresh", 1.5)  # the click's refresh_previews takes 1.5 s: the click is still running
    answers: list[dict] = []
    clicking = threading.Thread(target=lambda: answers.append(click(
        server, kit, message_id=None, preview=(url, token), value={"button_type": "ticket_close", "ticket": "T-3"})))
    clicking.start()
    time.sleep(0.5)
    asked_again = preview(server, kit, url, token)  # Lark asks while the click runs
    clicking.join()

    assert markdown(asked_again["card"]["data"]) == ["Status: **closed**"]
    assert answers[0]["toast"] == {"type": "success", "content": "Ticket closed"}, answers[0]
