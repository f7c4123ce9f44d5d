"""Plain JSON values: equality as JSON defines it, type names for messages, a serialisability check."""

from __future__ import annotations

import json
from typing import Any


def json_equal(a: Any, b: Any) -> bool:
    """True when `a` and `b` are the same JSON value: a tuple equals a list, `True` is not `1`, `1 == 1.0`."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(json_equal, a, b))
    if isinstance(b, (dict, list, tuple)):
        return False
    return a == b


def json_type(value: Any) -> str:
    """The JSON name of `value`'s type, for error messages: "object", "array", "string", …"""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "null" if value is None else type(value).__name__


def ensure_json(value: Any, what: str) -> None:
    """Raise TypeError unless `value` serialises to strict JSON (no NaN, no sets or objects)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} is not JSON-serialisable: {err}") from None
