"""Element-addressed ops (`Patch.element`, `Patch.button`, `Patch.elements`) on JSON 1.0 and 2.0 cards,
and the element queries `iter_elements`, `card_has_value`, `locales_with_value`."""

import copy

import pytest

from cardbot.errors import PatchError
from cardbot.frozen import freeze
from cardbot.patches import Patch, apply_patch, card_has_value, iter_elements, locales_with_value


def button(button_id, text="Go"):
    """A JSON 1.0 button whose value carries `button_id`."""
    return {
        "tag": "button",
        "text": {"tag": "plain_text", "content": text},
        "type": "primary",
        "value": {"button_type": "approval", "button_id": button_id},
    }


def button_v2(element_id, button_id):
    """A JSON 2.0 button whose callback behaviour carries `button_id`."""
    return {
        "tag": "button",
        "element_id": element_id,
        "text": {"tag": "plain_text", "content": element_id},
        "behaviors": [
            {"type": "open_url", "default_url": "https://example.com"},
            {"type": "callback", "value": {"button_type": "approval", "button_id": button_id}},
        ],
    }


# The seed document's card (its trailing comma in `value` removed), shown in two locales.
SEED_BUTTON = {
    "tag": "button",
    "text": {"tag": "plain_text", "content": "完成「全量发布」"},
    "value": {"button_type": "public_publish", "button_id": "1626958617426"},
    "type": "primary",
}
SEED_CARD = {
    "i18n_elements": {
        "zh_cn": [{"tag": "action", "actions": [SEED_BUTTON]}],
        "en_us": [{"tag": "action", "actions": [{**SEED_BUTTON, "text": {"tag": "plain_text", "content": "Publish"}}]}],
    }
}

CARD_V1 = {
    "config": {"update_multi": True},
    "header": {"title": {"tag": "plain_text", "content": "Release"}, "template": "blue"},
    "elements": [
        {"tag": "div", "element_id": "summary", "text": {"tag": "lark_md", "content": "**v1.2**"}},
        {
            "tag": "column_set",
            "columns": [{"tag": "column", "elements": [{"tag": "action", "actions": [button("col")]}]}],
        },
        {"tag": "action", "layout": "bisected", "actions": [button("approve"), button("reject")]},
    ],
}

CARD_V2 = {
    "schema": "2.0",
    "header": {"title": {"tag": "plain_text", "content": "Deploy #42"}},
    "body": {
        "elements": [
            {"tag": "markdown", "element_id": "status", "content": "Waiting"},
            {
                "tag": "column_set",
                "columns": [
                    {"tag": "column", "elements": [button_v2("btn_ok", "ok")]},
                    {"tag": "column", "elements": [button_v2("btn_no", "no")]},
                ],
            },
            {
                "tag": "form",
                "name": "f1",
                "elements": [
                    {"tag": "input", "element_id": "reason", "name": "reason"},
                    {**button_v2("submit", "send"), "form_action_type": "submit", "name": "submit"},
                ],
            },
            {
                "tag": "collapsible_panel",
                "header": {"title": {"tag": "plain_text", "content": "Log"}},
                "elements": [{"tag": "markdown", "element_id": "log", "content": "started"}],
            },
        ]
    },
}

# (card, how to target, where the target's list is, its index in that list)
LOCATIONS = {
    "1.0 top level": (CARD_V1, Patch.element("summary"), ("elements",), 0),
    "1.0 action group": (CARD_V1, Patch.button("reject"), ("elements", 2, "actions"), 1),
    "1.0 column": (CARD_V1, Patch.button("col"), ("elements", 1, "columns", 0, "elements", 0, "actions"), 0),
    "2.0 body": (CARD_V2, Patch.element("status"), ("body", "elements"), 0),
    "2.0 column by id": (CARD_V2, Patch.element("btn_no"), ("body", "elements", 1, "columns", 1, "elements"), 0),
    "2.0 column by button": (CARD_V2, Patch.button("ok"), ("body", "elements", 1, "columns", 0, "elements"), 0),
    "2.0 form": (CARD_V2, Patch.element("reason"), ("body", "elements", 2, "elements"), 0),
    "2.0 form button": (CARD_V2, Patch.button("send"), ("body", "elements", 2, "elements"), 1),
    "2.0 collapsible panel": (CARD_V2, Patch.element("log"), ("body", "elements", 3, "elements"), 0),
}

NEW_A = {"tag": "markdown", "content": "A"}
NEW_B = {"tag": "hr"}
ACTIONS = {
    "replace": (lambda target: target.replace(NEW_A), lambda old: [NEW_A]),
    "merge": (
        lambda target: target.merge({"disabled": True, "tag": "button_x"}),
        lambda old: [{**old, "disabled": True, "tag": "button_x"}],
    ),
    "remove": (lambda target: target.remove(), lambda old: []),
    "insert_before": (lambda target: target.insert_before(NEW_A, NEW_B), lambda old: [NEW_A, NEW_B, old]),
    "insert_after": (lambda target: target.insert_after(NEW_A, NEW_B), lambda old: [old, NEW_A, NEW_B]),
}


def at(card, path):
    for key in path:
        card = card[key]
    return card


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("location", LOCATIONS)
def test_every_element_action_in_every_container(location, action):
    card, target, path, index = LOCATIONS[location]
    build, replacement = ACTIONS[action]
    snapshot = copy.deepcopy(card)

    result = apply_patch(card, build(target))

    old_list = at(card, path)
    assert at(result, path) == old_list[:index] + replacement(old_list[index]) + old_list[index + 1 :]
    assert card == snapshot


def test_the_rest_of_the_card_is_untouched():
    result = apply_patch(CARD_V2, Patch.element("log").remove())
    assert result["header"] == CARD_V2["header"]
    assert result["body"]["elements"][:3] == CARD_V2["body"]["elements"][:3]


def test_seed_button_changes_in_every_locale():
    done = {"tag": "div", "text": {"tag": "lark_md", "content": "已完成"}}
    result = apply_patch(SEED_CARD, Patch.button("1626958617426").replace(done))
    tree = [{"tag": "action", "actions": [done]}]
    assert result == {"i18n_elements": {"zh_cn": tree, "en_us": tree}}


def test_seed_button_merge_in_every_locale():
    result = apply_patch(SEED_CARD, Patch.button("1626958617426").merge({"disabled": True}))
    for locale in ("zh_cn", "en_us"):
        assert result["i18n_elements"][locale][0]["actions"][0]["disabled"] is True


def test_inserted_elements_are_separate_copies():
    result = apply_patch(SEED_CARD, Patch.button("1626958617426").insert_after(NEW_A))
    zh, en = (result["i18n_elements"][locale][0]["actions"][1] for locale in ("zh_cn", "en_us"))
    assert zh == en == NEW_A
    assert zh is not en


def test_a_match_inside_a_match_changes_too():
    inner = {"tag": "markdown", "content": "x", "value": {"button_id": "both"}}
    outer = {"tag": "interactive_container", "behaviors": [{"value": {"button_id": "both"}}], "elements": [inner]}
    card = {"elements": [outer]}
    result = apply_patch(card, Patch.button("both").merge({"disabled": True}))
    assert result["elements"][0]["disabled"] is True
    assert result["elements"][0]["elements"][0]["disabled"] is True
    assert apply_patch(card, Patch.button("both").remove()) == {"elements": []}


def test_ops_apply_in_order():
    patch = Patch.element("status").insert_after({"tag": "hr", "element_id": "rule"}).element("rule").merge({"x": 1})
    assert apply_patch(CARD_V2, patch)["body"]["elements"][1] == {"tag": "hr", "element_id": "rule", "x": 1}


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (Patch.element("nope").remove(), r"^patch op 0 \(element remove\): no element with element_id 'nope' on"),
        (Patch.button("nope").replace(NEW_A), r"^patch op 0 \(element replace\): no element with button_id 'nope' on"),
    ],
)
def test_zero_matches_is_an_error(patch, message):
    with pytest.raises(PatchError, match=message):
        apply_patch(CARD_V2, patch)


def test_button_id_in_element_id_is_not_a_button_match():
    with pytest.raises(PatchError, match="no element with button_id 'btn_ok'"):
        apply_patch(CARD_V2, Patch.button("btn_ok").remove())


def test_values_and_behaviors_are_data_not_elements():
    card = {
        "elements": [
            {"tag": "button", "value": {"button_id": "v", "items": [{"tag": "div", "element_id": "hidden"}]}},
            {"tag": "button", "behaviors": [{"tag": "callback", "value": {"button_id": "w"}}]},
            {"tag": "select_static", "value": "text", "options": [{"text": {"tag": "plain_text"}, "value": "1"}]},
            {"tag": "button", "behaviors": "not a list", "value": ["not", "a", "dict"]},
        ]
    }
    tags = [element["tag"] for _, element, _, _ in iter_elements(card)]
    assert tags == ["button", "button", "select_static", "button"]
    with pytest.raises(PatchError, match="no element with element_id 'hidden'"):
        apply_patch(card, Patch.element("hidden").remove())
    assert apply_patch(card, Patch.button("w").remove())["elements"][1]["tag"] == "select_static"


def test_elements_replaces_the_top_level_list_of_a_1_0_card():
    result = apply_patch(CARD_V1, Patch.elements([NEW_A]))
    assert result["elements"] == [NEW_A]
    assert result["header"] == CARD_V1["header"]


def test_elements_with_a_locale_replaces_only_that_locale():
    result = apply_patch(SEED_CARD, Patch.elements([NEW_A], locale="zh_cn"))
    assert result["i18n_elements"] == {"zh_cn": [NEW_A], "en_us": SEED_CARD["i18n_elements"]["en_us"]}


def test_elements_replaces_the_body_of_a_2_0_card():
    assert apply_patch(CARD_V2, Patch.elements([NEW_A]))["body"] == {"elements": [NEW_A]}
    assert apply_patch({"schema": "2.0"}, Patch.elements([]))["body"] == {"elements": []}


@pytest.mark.parametrize(
    ("card", "patch", "message"),
    [
        (CARD_V2, Patch.elements([NEW_A], locale="zh_cn"), "a 2.0 card has no i18n_elements"),
        (SEED_CARD, Patch.elements([NEW_A], locale="ja_jp"), r"no i18n_elements\['ja_jp'\] \(locales: zh_cn, en_us\)"),
        (CARD_V1, Patch.elements([NEW_A], locale="zh_cn"), r"no i18n_elements\['zh_cn'\] \(locales: none\)"),
        ({"schema": "2.0", "body": []}, Patch.elements([NEW_A]), "the card's body is array, not an object"),
    ],
)
def test_elements_errors(card, patch, message):
    with pytest.raises(PatchError, match=message):
        apply_patch(card, patch)


def test_iter_elements_shape_and_order():
    card = {
        "i18n_elements": {"en_us": [{"tag": "hr"}]},
        "elements": [{"tag": "div", "fields": [{"text": {"tag": "plain_text"}}]}],
    }
    slots = list(iter_elements(card))
    assert [(slot.locale, slot.element["tag"]) for slot in slots] == [(None, "div"), ("en_us", "hr")]
    locale, element, siblings, index = slots[1]
    assert siblings[index] is element is card["i18n_elements"]["en_us"][0]


def test_iter_elements_goes_parent_first():
    tags = [element["tag"] for _, element, _, _ in iter_elements(CARD_V2)]
    assert tags[:5] == ["markdown", "column_set", "column", "button", "column"]


SEED_VALUE = {"button_type": "public_publish", "button_id": "1626958617426"}


def test_card_has_value_finds_1_0_and_2_0_values():
    assert card_has_value(SEED_CARD, SEED_VALUE)
    assert card_has_value(CARD_V2, {"button_type": "approval", "button_id": "ok"})
    assert not card_has_value(CARD_V2, {"button_type": "approval", "button_id": "gone"})
    assert not card_has_value(SEED_CARD, {**SEED_VALUE, "extra": 1})


def test_card_has_value_compares_frozen_values_as_json():
    card = {"elements": [{"tag": "button", "value": {"ids": [1, 2], "on": True}}]}
    assert card_has_value(card, freeze({"ids": [1, 2], "on": True}))
    assert card_has_value(card, {"ids": (1.0, 2), "on": True})
    assert not card_has_value(card, {"ids": [1, 2], "on": 1})


def test_locales_with_value():
    assert locales_with_value(SEED_CARD, freeze(SEED_VALUE)) == ["zh_cn", "en_us"]
    card = {"i18n_elements": {"en_us": [button("x")], "zh_cn": [button("x")]}, "elements": [button("x")]}
    assert locales_with_value(card, button("x")["value"]) == [None, "en_us", "zh_cn"]
    assert locales_with_value(CARD_V2, {"button_type": "approval", "button_id": "no"}) == [None]
    assert locales_with_value(CARD_V2, {"button_id": "no"}) == []
