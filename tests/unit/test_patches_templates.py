"""Template cards in the patch language: variables merge, element ops are refused, validation."""

from __future__ import annotations

import pytest

from cardbot import CardInvalid, Patch, PatchError
from cardbot.patches import apply_patch, validate_card
from cardbot.protocol import render_answer

TEMPLATE = {"type": "template", "data": {"template_id": "AAqi6xJ8rabcd", "template_version_name": "1.0.0",
                                         "template_variable": {"title": "Lunch?", "nested": {"a": 1, "b": 2}}}}


def test_variables_merge_into_the_template_variables():
    changed = apply_patch(TEMPLATE, Patch.variables({"title": None, "nested": {"b": 3}, "new": [1]}))
    assert changed["data"]["template_variable"] == {"nested": {"a": 1, "b": 3}, "new": [1]}
    assert TEMPLATE["data"]["template_variable"]["title"] == "Lunch?"  # the input is untouched


def test_a_template_without_variables_gets_them():
    bare = {"type": "template", "data": {"template_id": "T"}}
    assert apply_patch(bare, Patch.variables({"x": 1}))["data"]["template_variable"] == {"x": 1}


@pytest.mark.parametrize("patch", [Patch.button("b1").remove(), Patch.element("e1").remove(), Patch.named("n").remove(),
                                   Patch.elements([])])
def test_element_ops_on_a_template_are_refused_naming_the_way_to_change_it(patch):
    with pytest.raises(PatchError, match="a template card has no elements of its own; change it with Patch.variables"):
        apply_patch(TEMPLATE, patch)


def test_variables_on_a_card_that_is_no_template_are_refused():
    with pytest.raises(PatchError, match="only a template card has variables"):
        apply_patch({"elements": []}, Patch.variables({"x": 1}))


def test_a_template_may_be_replaced_by_a_raw_card_of_either_schema_and_back():
    v2 = {"schema": "2.0", "body": {"elements": []}}
    validate_card(apply_patch(TEMPLATE, Patch.replace(v2)), before=TEMPLATE)
    validate_card(apply_patch(v2, Patch.replace(TEMPLATE)), before=v2)


@pytest.mark.parametrize("card, problem", [
    ({"type": "template"}, "'data' must be an object"),
    ({"type": "template", "data": {}}, "needs data.template_id"),
    ({"type": "template", "data": {"template_id": ""}}, "needs data.template_id"),
    ({"type": "template", "data": {"template_id": "T", "template_variable": []}}, "template_variable must be an object"),
    ({"type": "template", "data": {"template_id": "T", "template_version_name": 1}}, "must be a string"),
    ({"type": "template", "data": {"template_id": "T", "colour": "red"}}, "not 'colour'"),
    ({"type": "template", "data": {"template_id": "T"}, "elements": []}, "only 'type' and 'data'"),
])
def test_a_malformed_template_is_invalid(card, problem):
    with pytest.raises(CardInvalid, match=problem):
        validate_card(card)


def test_a_template_answer_in_both_formats():
    assert render_answer("card.action.trigger", card=TEMPLATE, toast=None) == {"card": TEMPLATE}
    assert render_answer("legacy", card=TEMPLATE, toast=None) == TEMPLATE


def test_named_targets_every_component_with_that_name():
    card = {"elements": [{"tag": "form", "name": "f", "elements": [
        {"tag": "input", "name": "reason"}, {"tag": "button", "name": "submit", "action_type": "form_submit"}]}]}
    changed = apply_patch(card, Patch.named("submit").replace({"tag": "markdown", "content": "Sent"}))
    assert changed["elements"][0]["elements"][1] == {"tag": "markdown", "content": "Sent"}
    with pytest.raises(PatchError, match="no element with name 'nope'"):
        apply_patch(card, Patch.named("nope").remove())
