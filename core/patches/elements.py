"""Finding elements on a card, in either schema, wherever they sit.

An element is a dict with a `"tag"` that is an item of a list: `elements`, `body.elements`, each locale of
`i18n_elements`, an action module's `actions`, `columns` and their `elements`, forms, panels, … No container
is named here: every list is walked, except inside `value` and `behaviors`, which hold data, not elements.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from ..frozen import thaw
from .json_values import json_equal

I18N_ELEMENTS = "i18n_elements"
_DATA_KEYS = frozenset({"value", "behaviors"})


class ElementSlot(NamedTuple):
    """One element and where it sits: `siblings[index] is element`.

    `locale` is None for the card's own tree (`elements`, `body.elements`, …) and the locale key for a
    tree under `i18n_elements`.
    """

    locale: str | None
    element: dict
    siblings: list
    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the slot's position


def iter_elements(card: dict) -> Iterator[ElementSlot]:
    """Yield an `ElementSlot(locale, element, siblings, index)` for every element of `card`.

        for locale, element, _, _ in iter_elements(card): ...

    Order: document order (a parent before its children), the card's own tree first, then each
    `i18n_elements` locale in card order. Do not change the card while iterating.
    """
    for key, node in card.items():
        if key != I18N_ELEMENTS:
            yield from _walk(node, None)
    trees = card.get(I18N_ELEMENTS)
    if isinstance(trees, dict):
        for locale, tree in trees.items():
            yield from _walk(tree, locale)


def _walk(node: Any, locale: str | None) -> Iterator[ElementSlot]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict) and "tag" in item:
                yield ElementSlot(locale, item, node, index)
            if isinstance(item, (dict, list)):
                yield from _walk(item, locale)
    elif isinstance(node, dict):
        for key, item in node.items():
            if key not in _DATA_KEYS and isinstance(item, (dict, list)):
                yield from _walk(item, locale)


def element_values(element: dict) -> Iterator[Any]:
    """The callback values `element` carries: its `value` (JSON 1.0) and each `behaviors[].value` (2.0)."""
    if "value" in element:
        yield element["value"]
    behaviors = element.get("behaviors")
    if isinstance(behaviors, list):
        for behavior in behaviors:
            if isinstance(behavior, dict) and "value" in behavior:
                yield behavior["value"]


def has_element_id(element: dict, element_id: str) -> bool:
    """True when `element["element_id"] == element_id`."""
    return element.get("element_id") == element_id


def has_button_id(element: dict, button_id: str) -> bool:
    """True when one of `element`'s values (see `element_values`) has this `button_id`."""
    return any(isinstance(value, dict) and value.get("button_id") == button_id for value in element_values(element))


def has_name(element: dict, name: str) -> bool:
    """True when `element["name"] == name` (form fields and submit buttons, inputs, pickers are named)."""
    return element.get("name") == name


def card_has_name(card: dict, name: str) -> bool:
    """True when a component on `card` has this `name`."""
    return any(has_name(slot.element, name) for slot in iter_elements(card))


def card_has_value(card: dict, value: Any) -> bool:
    """True when a component on `card` carries `value`: a click whose value is gone is a stale click.

    Values compare as JSON, so a frozen value (FrozenDict, tuples) matches the card's dicts and lists.
    """
    return _holds(card, thaw(value))


def _holds(node: Any, value: Any) -> bool:
    """The scan behind card_has_value, without building slots (it runs on every click)."""
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict):
                if "tag" in item and _carries(item, value):
                    return True
                if _holds(item, value):
                    return True
            elif isinstance(item, list) and _holds(item, value):
                return True
    elif isinstance(node, dict):
        for key, item in node.items():
            if key not in _DATA_KEYS and isinstance(item, (dict, list)) and _holds(item, value):
                return True
    return False


def locales_with_value(card: dict, value: Any) -> list[str | None]:
    """Which trees hold a component carrying `value`: None for the card's own tree, then locale keys
    of `i18n_elements` in card order."""
    return list(dict.fromkeys(slot.locale for slot in iter_elements(card) if _carries(slot.element, value)))


def _carries(element: dict, value: Any) -> bool:
    # `==` first: cheap, and it can only be wrong in one direction (True == 1) that json_equal then rules out
    return any(candidate == value and json_equal(candidate, value) for candidate in element_values(element))
