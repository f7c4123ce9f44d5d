"""render_answer: the answer body for each callback format."""

import copy

import pytest

from cardbot.action import LEGACY, TRIGGER
from cardbot.protocol import render_answer
from cardbot.toast import Toast
from payloads import load_payload

CARD = {"config": {"update_multi": True}, "elements": [{"tag": "markdown", "content": "done"}]}
TOAST = Toast("success", "已完成", {"en_us": "Done"})
TOAST_JSON = {"type": "success", "content": "已完成", "i18n": {"en_us": "Done"}}


@pytest.mark.parametrize(
    "card, toast, expected",
    [
        (CARD, TOAST, {"toast": TOAST_JSON, "card": {"type": "raw", "data": CARD}}),
        (CARD, None, {"card": {"type": "raw", "data": CARD}}),
        (None, TOAST, {"toast": TOAST_JSON}),
        (None, None, {}),
    ],
)
def test_trigger(card, toast, expected):
    assert render_answer(TRIGGER, card=card, toast=toast) == expected


@pytest.mark.parametrize(
    "card, toast, expected",
    [
        (CARD, TOAST, CARD | {"toast": TOAST_JSON}),
        (CARD, None, CARD),
        (None, TOAST, {"toast": TOAST_JSON}),
        (None, None, {}),
    ],
)
def test_legacy(card, toast, expected):
    assert render_answer(LEGACY, card=card, toast=toast) == expected


@pytest.mark.parametrize("format", [TRIGGER, LEGACY])
def test_the_card_is_never_modified(format):
    card = copy.deepcopy(CARD)
    render_answer(format, card=card, toast=TOAST)["toast"]["content"] = "changed"
    assert card == CARD


def test_toast_without_i18n():
    answer = render_answer(TRIGGER, card=None, toast=Toast("info", "ok"))
    assert answer == {"toast": {"type": "info", "content": "ok"}}


def test_unknown_format():
    with pytest.raises(ValueError):
        render_answer("v3", card=None, toast=None)


@pytest.mark.parametrize("name", ["answer_raw_card_doc", "answer_template_card_doc"])
def test_the_answer_matches_the_official_examples(name):
    official = load_payload(name)
    card = official["card"]
    given = card["data"] if card["type"] == "raw" else card
    assert render_answer(TRIGGER, card=given, toast=Toast.from_json(official["toast"])) == official
