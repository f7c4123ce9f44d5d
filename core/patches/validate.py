"""`validate_card`: the rules Lark enforces on a card (and what cardbot needs to store it), checked before a
card is sent, put or changed; `card_json`: the checked card as the JSON text that is sent and stored."""

from __future__ import annotations

import re
from typing import Any

from ..errors import CardInvalid
from ..frozen import MAX_DEPTH
from ..jsoncodec import dumps
from .elements import I18N_ELEMENTS, iter_elements
from .json_values import json_type
from .schema import MAX_CARD_BYTES, card_schema, card_size
from .templates import is_template, validate_template

MAX_V2_ELEMENTS = 200
MAX_CARD_DEPTH = MAX_DEPTH - 1
"""Deepest nesting of objects and arrays in a card (the card itself is level 1): its history entry is a
patch holding the whole card, which must stay within what `freeze` accepts."""
_ELEMENT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,19}")


def card_json(card: Any) -> str:
    """The JSON text `card` is sent and stored as, once `validate_card` passes; CardInvalid otherwise.

    Every send (`bot.py send`, `POST /api/cards`, `bot.send_card`) and `card put` goes through this,
    before anything reaches Lark, so what is posted is exactly what is stored. Such a card comes from
    outside, so it is also held to MAX_CARD_DEPTH (63) levels of nesting. (A card changed by a click is
    not walked again for that: every value a patch brings was frozen, at most 64 levels, when the
    patch was built.)
    """
    validate_card(card)
    if (depth := _depth(card)) > MAX_CARD_DEPTH:
        raise CardInvalid(f"the card nests {depth} levels deep; cardbot stores cards of at most {MAX_CARD_DEPTH}")
    return dumps(card)


def validate_card(card: Any, *, before: dict | None = None, schema: str | None = None, size: int | None = None
                  ) -> None:
    """Raise CardInvalid naming the broken rule; `before` is the card this one replaces, if any
    (or pass just its `schema`, "1.0" or "2.0"). `size`: the bytes of its compact JSON, when the caller has
    serialised it already (else it is measured here).

    Rules: a JSON object of at most 30 KB; element ids valid and unique (per `i18n_elements` locale);
    the schema unchanged from `before`; a 2.0 card has at most 200 elements, no `action` module and no
    `i18n_elements`. A template card (`{"type": "template", "data": {...}}`) needs `data.template_id`.
    """
    if not isinstance(card, dict):
        raise CardInvalid(f"a card must be a JSON object, not {json_type(card)}")
    try:
        size = card_size(card) if size is None else size
    except TypeError as err:
        raise CardInvalid(f"the card is not JSON-serialisable: {err}") from None
    check_size(size)
    if is_template(card):
        validate_template(card)
        return  # its elements are Lark's to check
    if before is not None:
        schema = None if is_template(before) else card_schema(before)  # a template may become either schema
    expected = schema
    schema = card_schema(card)
    if expected is not None and schema != expected:
        raise CardInvalid(
            f"the card's schema changed from {expected} to {schema}; "
            "Lark cannot update a card to another schema (error 200830)"
        )
    if schema == "2.0" and I18N_ELEMENTS in card:
        raise CardInvalid("a 2.0 card cannot have i18n_elements (a JSON 1.0 feature)")
    _check_elements(card, schema)


def check_size(size: int) -> None:
    """CardInvalid when a card of `size` bytes of compact JSON is over Lark's limit."""
    if size > MAX_CARD_BYTES:
        raise CardInvalid(f"the card is {size} bytes of JSON; Lark's limit is {MAX_CARD_BYTES} (30 KB)")


def _check_elements(card: dict, schema: str) -> None:
    seen_ids: set[tuple[str | None, str]] = set()
    count = 0
    for locale, element, _, _ in iter_elements(card):
        count += 1
        if schema == "2.0" and element["tag"] == "action":
            raise CardInvalid("a 2.0 card cannot have an 'action' module; put buttons straight in elements or columns")
        if "element_id" in element:
            _check_element_id(element["element_id"], locale, seen_ids)
    if schema == "2.0" and count > MAX_V2_ELEMENTS:
        raise CardInvalid(f"the card has {count} elements; a 2.0 card may have at most {MAX_V2_ELEMENTS}")


def _check_element_id(element_id: Any, locale: str | None, seen_ids: set[tuple[str | None, str]]) -> None:
    if not isinstance(element_id, str) or not _ELEMENT_ID.fullmatch(element_id):
        raise CardInvalid(
            f"element_id {element_id!r} is not valid: it must start with a letter and have at most "
            "20 letters, digits or _"
        )
    if (locale, element_id) in seen_ids:
        where = "the card" if locale is None else f"i18n_elements[{locale!r}]"
        raise CardInvalid(f"element_id {element_id!r} appears twice in {where}; ids must be unique")
    seen_ids.add((locale, element_id))


def _depth(card: dict) -> int:
    """Levels of objects and arrays on the card's deepest path (the card is level 1)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(card, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
