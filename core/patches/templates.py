"""Template cards: a card built in Lark's card builder, sent and stored as its id and variables.

    {"type": "template", "data": {"template_id": "AAqi6xJ8rabcd", "template_version_name": "1.0.0",
                                  "template_variable": {"title": "Lunch?"}}}

A stored template card has no elements of its own (Lark renders them), so a patch on it changes its
variables (`Patch.variables`), or replaces it; element ops and the stale-click guard do not apply to it.
"""

from __future__ import annotations

from typing import Any

from ..errors import CardInvalid
from .json_values import json_type

TEMPLATE = "template"
DATA_KEYS = {"template_id": str, "template_variable": dict, "template_version_name": str}


def is_template(card: Any) -> bool:
    """True when `card` is a template card `{"type": "template", "data": {...}}`."""
    return isinstance(card, dict) and card.get("type") == TEMPLATE


def validate_template(card: dict) -> None:
    """Raise CardInvalid unless `card` is `{"type": "template", "data": {"template_id": str,
    "template_variable": object (optional), "template_version_name": str (optional)}}`."""
    unknown = sorted(card.keys() - {"type", "data"})
    if unknown:
        raise CardInvalid(f"a template card has only 'type' and 'data', not {', '.join(map(repr, unknown))}")
    data = card.get("data")
    if not isinstance(data, dict):
        raise CardInvalid(f"a template card's 'data' must be an object, not {json_type(data)}")
    extra = sorted(data.keys() - DATA_KEYS.keys())
    if extra:
        raise CardInvalid(f"a template card's data takes {', '.join(DATA_KEYS)}, not {', '.join(map(repr, extra))}")
    template_id = data.get("template_id")
    if not isinstance(template_id, str) or not template_id:
        raise CardInvalid("a template card needs data.template_id, the id from Lark's card builder")
    for key, kind in DATA_KEYS.items():
        if key in data and not isinstance(data[key], kind):
            raise CardInvalid(f"a template card's data.{key} must be {'an object' if kind is dict else 'a string'}, "
                              f"not {json_type(data[key])}")
