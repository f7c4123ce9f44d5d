"""The stale-click guard for every component: by its value when it has one, else by its name."""

from __future__ import annotations

import pytest

from cardbot import Action, Operator
from cardbot.clicks.stale import component_on_card
from cardbot.frozen import freeze

FORM_CARD = {"schema": "2.0", "body": {"elements": [{"tag": "form", "name": "expense", "elements": [
    {"tag": "input", "name": "amount"},
    {"tag": "select_static", "name": "reason", "options": [{"text": {"tag": "plain_text", "content": "Travel"},
                                                            "value": "travel"}]},
    {"tag": "button", "name": "submit", "form_action_type": "submit",
     "behaviors": [{"type": "callback", "value": {"button_type": "expense", "step": 1}}]},
]}, {"tag": "button", "text": {"tag": "plain_text", "content": "Go"}, "behaviors": [
    {"type": "callback", "value": "go"}]}]}}


def click(**fields) -> Action:
    return Action(format="card.action.trigger", operator=Operator(open_id="ou_1"), card_id="om_1",
                  delivery_id="v2:e", **fields)


@pytest.mark.parametrize("fields, on_card", [
    ({"name": "submit", "value": freeze({"button_type": "expense", "step": 1})}, True),
    ({"name": "submit", "value": freeze({"button_type": "expense", "step": 2})}, False),  # the value moved on
    ({"name": "submit"}, True),                     # a form submit button without a value: found by its name
    ({"name": "gone_submit"}, False),
    ({"name": "amount", "value": freeze({})}, True),  # an input sending {}: by its name
    ({"value_text": "go"}, True),                   # a string value
    ({"value_text": "went"}, False),
    ({"tag": "button"}, True),                      # nothing identifies it: cannot be checked, passes
])
def test_a_component_is_found_by_its_value_else_by_its_name(fields, on_card):
    assert component_on_card(FORM_CARD, click(**fields)) is on_card


def test_a_template_card_cannot_be_checked_and_passes():
    template = {"type": "template", "data": {"template_id": "T"}}
    assert component_on_card(template, click(name="anything", value=freeze({"x": 1})))
