"""`apply_patch`: run a patch's ops against a card and return the new card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import PatchError
from ..frozen import thaw
from .elements import I18N_ELEMENTS, has_button_id, has_element_id, has_name, iter_elements
from .json_patch import apply_json_patch
from .json_values import json_type
from .merge_patch import merge_into
from .ops import Op
from .patch import Patch
from .schema import card_schema
from .templates import is_template


def apply_patch(card: dict, patch: Patch, *, copy: bool = True) -> dict:
    """Return a new card: `card` with `patch`'s ops applied in order. `card` itself never changes,
    unless `copy=False`: then a card you own (freshly parsed, say) is changed in place, which is faster.

    Raises PatchError naming the op that failed and why: "patch op 1 (element remove): no element with
    element_id 'status' on this card". Check the result with `validate_card`.
    """
    result = thaw(card) if copy else card  # one private copy; every op below may change it in place
    for index, op in enumerate(patch.ops):
        try:
            _check_applies(op, result)
            result = _APPLY[op["op"]](result, op)
        except PatchError as err:
            kind = " ".join(filter(None, (op["op"], op.get("action"))))
            raise PatchError(f"patch op {index} ({kind}): {err}") from None
    return result


_ELEMENT_OPS = frozenset({"elements", "element"})
"""Ops that need a card's own elements (a template card has none)."""


def _check_applies(op: Op, card: dict) -> None:
    template = is_template(card)
    if template and op["op"] in _ELEMENT_OPS:
        raise PatchError("a template card has no elements of its own; change it with Patch.variables or replace it")
    if not template and op["op"] == "variables":
        raise PatchError("only a template card has variables; this card is not one")


def _variables(card: dict, op: Op) -> dict:
    data = card["data"]
    variables = data.get("template_variable")
    data["template_variable"] = merge_into(variables if isinstance(variables, dict) else {}, op["variables"])
    return card


def _replace(card: dict, op: Op) -> dict:
    return thaw(op["card"])


def _merge(card: dict, op: Op) -> dict:
    return merge_into(card, op["patch"])


def _json_patch(card: dict, op: Op) -> dict:
    result = apply_json_patch(card, op["operations"])
    if not isinstance(result, dict):
        raise PatchError(f"the card must stay a JSON object, not become {json_type(result)}")
    return result


def _elements(card: dict, op: Op) -> dict:
    locale, elements = op["locale"], thaw(op["elements"])
    if locale is None:
        holder = card.setdefault("body", {}) if card_schema(card) == "2.0" else card
        if not isinstance(holder, dict):
            raise PatchError(f"the card's body is {json_type(holder)}, not an object")
        holder["elements"] = elements
        return card
    if card_schema(card) == "2.0":
        raise PatchError("a 2.0 card has no i18n_elements; leave out the locale")
    trees = card.get(I18N_ELEMENTS)
    if not isinstance(trees, dict) or locale not in trees:
        known = ", ".join(trees) if isinstance(trees, dict) else "none"
        raise PatchError(f"the card has no i18n_elements[{locale!r}] (locales: {known})")
    trees[locale] = elements
    return card


_MATCHERS = {"element_id": has_element_id, "button_id": has_button_id, "name": has_name}


def _element(card: dict, op: Op) -> dict:
    (kind, wanted), = op["target"].items()
    matches = _MATCHERS[kind]
    slots = [slot for slot in iter_elements(card) if matches(slot.element, wanted)]
    if not slots:
        raise PatchError(f"no element with {kind} {wanted!r} on this card")
    # Last first: changing an element then leaves the positions of those still to change as they were.
    for slot in reversed(slots):
        slot.siblings[slot.index : slot.index + 1] = _replacement(op, slot.element)
    return card


def _replacement(op: Op, element: dict) -> list[Any]:
    action = op["action"]
    if action == "replace":
        return [thaw(op["element"])]
    if action == "merge":
        return [merge_into(element, op["patch"])]
    if action == "remove":
        return []
    inserted = thaw(op["elements"])
    return [*inserted, element] if action == "insert_before" else [element, *inserted]


_APPLY: dict[str, Callable[[dict, Op], dict]] = {
    "replace": _replace,
    "merge": _merge,
    "json_patch": _json_patch,
    "elements": _elements,
    "element": _element,
    "variables": _variables,
}
