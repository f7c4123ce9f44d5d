"""docs/components/ is true: every card on its pages is valid, and each page's click, built from the page's callback
table as Lark would send it, reaches the page's handler (tests/testplugins/cardbot_testplugins/components.py)
through a real server with exactly the `Action` fields the page lists; the page's `bot.py click` line sends the
same action and prints the page's toast."""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from cardbot.patches import validate_card
from support import ROOT, SECRETS, new_message_id, put_card, recorded, start_server

COMPONENTS = ROOT / "docs" / "components"
PAGES = sorted(page for page in COMPONENTS.glob("*.md") if page.name != "README.md")
CONFIG = """
[bot]
database = "cardbot.db"

[plugins.components]
enabled = true
module = "cardbot_testplugins.components"
"""
ROW = re.compile(r"^\| `([^`]+)` \| `(.+?)` \|", re.MULTILINE)
"""A table row whose first two cells are code: the field, and its value."""
SENT_BY_CLI = ("tag", "value", "name", "option", "options", "form_value", "input_value", "checked")


def section(page: Path, heading: str) -> str:
    """The text under `## heading` on `page`, up to the next `## `."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def page_card(page: Path) -> dict:
    (card,) = [json.loads(block) for block in blocks(page.read_text(encoding="utf-8"), "json")]
    return card


def callback_action(page: Path) -> dict[str, Any]:
    """`event.action` as the page's callback table says Lark sends it (values are JSON)."""
    return {field: json.loads(value) for field, value in ROW.findall(section(page, "The callback"))}


def action_fields(page: Path) -> dict[str, Any]:
    """The `Action` fields the page says the plugin reads (values are Python literals), as the recorder writes
    them: JSON (tuples become lists)."""
    rows = ROW.findall(section(page, "What the plugin reads"))
    return {field.removeprefix("action."): json.loads(json.dumps(ast.literal_eval(value))) for field, value in rows}


def try_it(page: Path) -> tuple[list[str], str]:
    """The page's `bot.py click` arguments (after MESSAGE_ID) and the toast line it prints."""
    text = section(page, "Try it")
    (command,) = [line for block in blocks(text, "bash") for line in block.splitlines()
                  if line.startswith("python bot.py click ")]
    words = shlex.split(command)
    assert words[3] == "om_1", command
    return words[4:], blocks(text, "text")[0].splitlines()[0]


def toast_line(answer: dict) -> str:
    return f"toast: {answer['toast']['type']} {json.dumps(answer['toast']['content'], ensure_ascii=False)}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recorded")
    bot = start_server(tmp_path_factory.mktemp("bot"), CONFIG, env={**SECRETS, "CARDBOT_RECORDER_DIR": str(folder)})
    yield bot, folder
    bot.stop()


def seen(folder: Path, card_id: str) -> dict:
    (action,) = [entry for entry in recorded(folder, "cardbot_action") if entry["card_id"] == card_id]
    return action


def test_there_is_a_page_for_each_component_and_the_guides_link_them():
    assert {page.stem for page in PAGES} == {
        "button", "select", "multi-select", "person-picker", "date-picker", "time-picker", "datetime-picker", "input",
        "checker", "form", "overflow"}
    index = (COMPONENTS / "README.md").read_text(encoding="utf-8")
    assert all(f"]({page.name})" in index for page in PAGES)
    assert "](components/README.md)" in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_every_card_on_the_page_is_valid(page):
    for block in blocks(page.read_text(encoding="utf-8"), "json"):
        validate_card(json.loads(block))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_the_click_lark_sends_gives_the_plugin_what_the_page_says(server, kit, page):
    bot, folder = server
    card_id = new_message_id()
    put_card(bot, card_id, page_card(page))
    action = callback_action(page)
    tag, value = action.pop("tag"), action.pop("value", None)

    response = bot.post("/lark/callback", *kit.card_action_trigger(message_id=card_id, tag=tag, value=value, **action))

    assert response.status_code == 200, response.text
    answer = response.json()
    assert toast_line(answer) == try_it(page)[1], answer
    given = seen(folder, card_id)
    assert given["format"] == "card.action.trigger" and given["tag"] == tag
    assert {field: given[field] for field in action_fields(page)} == action_fields(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.stem)
def test_the_pages_bot_py_click_line_sends_the_same_action(server, kit, page):
    bot, folder = server
    by_lark, by_cli = new_message_id(), new_message_id()
    for card_id in (by_lark, by_cli):
        put_card(bot, card_id, page_card(page))
    action = callback_action(page)
    bot.post("/lark/callback", *kit.card_action_trigger(message_id=by_lark, tag=action.pop("tag"),
                                                        value=action.pop("value", None), **action))
    args, toast = try_it(page)

    result = bot.cli("click", by_cli, *args, "--url", f"{bot.base_url}/lark/callback")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == toast
    lark, cli = seen(folder, by_lark), seen(folder, by_cli)
    assert {field: cli[field] for field in SENT_BY_CLI} == {field: lark[field] for field in SENT_BY_CLI}
    assert cli["operator"]["open_id"] == "ou_me"
