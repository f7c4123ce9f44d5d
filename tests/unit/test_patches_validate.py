"""`validate_card` (each rule broken and kept), `card_schema`, `is_shared`, `card_size`."""

import pytest

from cardbot.errors import CardInvalid
from cardbot.patches import MAX_CARD_BYTES, card_schema, card_size, is_shared, validate_card


def markdown(**fields):
    return {"tag": "markdown", "content": "x", **fields}


def v2(*elements):
    return {"schema": "2.0", "body": {"elements": list(elements)}}


def sized(n_bytes):
    """A 1.0 card whose compact UTF-8 JSON is exactly `n_bytes` long."""
    card = {"header": {"note": ""}}
    card["header"]["note"] = "a" * (n_bytes - card_size(card))
    return card


def test_card_size_is_compact_utf8_json():
    assert card_size({"a": "中"}) == len('{"a":"中"}'.encode()) == 11
    assert card_size({"a": [1, 2]}) == len('{"a":[1,2]}')


def test_size_limit():
    assert MAX_CARD_BYTES == 30 * 1024
    validate_card(sized(MAX_CARD_BYTES))
    with pytest.raises(CardInvalid, match="the card is 30721 bytes of JSON; Lark's limit is 30720"):
        validate_card(sized(MAX_CARD_BYTES + 1))


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ([], "a card must be a JSON object, not array"),
        ("{}", "a card must be a JSON object, not string"),
        ({"a": {1, 2}}, "not JSON-serialisable"),
        ({1: "a"}, "not JSON-serialisable"),
    ],
)
def test_a_card_is_a_json_object(card, message):
    with pytest.raises(CardInvalid, match=message):
        validate_card(card)


def test_nan_is_measured_as_null():
    """NaN never reaches a card on the click path (patches and bodies refuse it); sized, it counts as null."""
    assert card_size({"a": float("nan")}) == card_size({"a": None})


@pytest.mark.parametrize("element_id", ["a", "Status_1", "x" * 20, "A1_"])
def test_valid_element_ids(element_id):
    validate_card(v2(markdown(element_id=element_id)))


@pytest.mark.parametrize("element_id", ["", "1abc", "_a", "has-dash", "x" * 21, "with space", "ünï", 5, None])
def test_invalid_element_ids(element_id):
    with pytest.raises(CardInvalid, match="is not valid: it must start with a letter"):
        validate_card(v2(markdown(element_id=element_id)))


def test_element_ids_are_unique_within_the_card():
    nested = {"tag": "column_set", "columns": [{"tag": "column", "elements": [markdown(element_id="dup")]}]}
    with pytest.raises(CardInvalid, match="element_id 'dup' appears twice in the card"):
        validate_card(v2(markdown(element_id="dup"), nested))
    validate_card(v2(markdown(element_id="one"), nested))


def test_element_ids_are_unique_per_locale_in_1_0():
    card = {
        "elements": [markdown(element_id="a")],
        "i18n_elements": {"zh_cn": [markdown(element_id="a")], "en_us": [markdown(element_id="a")]},
    }
    validate_card(card)
    card["i18n_elements"]["en_us"].append(markdown(element_id="a"))
    with pytest.raises(CardInvalid, match=r"element_id 'a' appears twice in i18n_elements\['en_us'\]"):
        validate_card(card)


def test_schema_must_not_change():
    v1 = {"elements": [markdown()]}
    validate_card(v2(markdown()), before=v2())
    validate_card(v1, before={"config": {"update_multi": True}})
    validate_card(v2(), before=None)
    with pytest.raises(CardInvalid, match=r"schema changed from 1.0 to 2.0; .*\(error 200830\)"):
        validate_card(v2(), before=v1)
    with pytest.raises(CardInvalid, match="schema changed from 2.0 to 1.0"):
        validate_card(v1, before=v2())


def test_a_2_0_card_has_at_most_200_elements():
    validate_card(v2(*[markdown() for _ in range(200)]))
    with pytest.raises(CardInvalid, match="the card has 201 elements; a 2.0 card may have at most 200"):
        validate_card(v2(*[markdown() for _ in range(201)]))


def test_nested_elements_count_toward_the_limit():
    column_set = {"tag": "column_set", "columns": [{"tag": "column", "elements": [markdown() for _ in range(98)]}]}
    validate_card(v2(column_set, column_set))  # 2 x (1 + 1 + 98)
    with pytest.raises(CardInvalid, match="201 elements"):
        validate_card(v2(column_set, column_set, markdown()))


def test_a_2_0_card_has_no_action_module():
    action = {"tag": "action", "actions": [{"tag": "button", "value": {"button_id": "b"}}]}
    validate_card({"elements": [action]})
    with pytest.raises(CardInvalid, match="a 2.0 card cannot have an 'action' module"):
        validate_card(v2(action))


def test_a_2_0_card_has_no_i18n_elements():
    validate_card({"i18n_elements": {"zh_cn": [markdown()]}})
    with pytest.raises(CardInvalid, match="a 2.0 card cannot have i18n_elements"):
        validate_card({**v2(), "i18n_elements": {"zh_cn": [markdown()]}})


@pytest.mark.parametrize(
    ("card", "schema"),
    [({"schema": "2.0"}, "2.0"), ({}, "1.0"), ({"schema": 2.0}, "1.0"), ({"schema": "1.0"}, "1.0")],
)
def test_card_schema(card, schema):
    assert card_schema(card) == schema


@pytest.mark.parametrize(
    ("card", "shared"),
    [
        ({"schema": "2.0"}, True),
        ({"schema": "2.0", "config": {"update_multi": False}}, True),
        ({"config": {"update_multi": True}}, True),
        ({"config": {"update_multi": False}}, False),
        ({"config": {"update_multi": "true"}}, False),
        ({"config": "update_multi"}, False),
        ({}, False),
    ],
)
def test_is_shared(card, shared):
    assert is_shared(card) is shared
