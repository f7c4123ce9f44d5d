"""Plain JSON values: equality as JSON defines it, type names for messages, a serialisability check."""

from __future__ import annotations

import math
from typing import Any

from ..frozen import MAX_DEPTH, FrozenDict


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
    """Raise TypeError unless `value` is strict JSON: dicts with string keys, lists, tuples, strings,
    finite numbers, booleans and None (no NaN, no sets or objects), nested at most 1000 levels."""
    problem = _json_problem(value, 0)
    if problem:
        raise TypeError(f"{what} is not JSON-serialisable: {problem}")


def freeze_json(value: Any, what: str) -> Any:
    """`freeze(value)` (read-only dicts and tuples) and `ensure_json(value, what)` in one walk: TypeError unless
    `value` is strict JSON, ValueError when it nests deeper than frozen.MAX_DEPTH."""
    try:
        return _freeze_json(value, 0)
    except _NotJson as problem:
        raise TypeError(f"{what} is not JSON-serialisable: {problem}") from None


class _NotJson(Exception):
    """Why a value is not strict JSON (the message ensure_json gives)."""


_PLAIN = (str, int, bool, type(None))
"""Leaf types that need no check and no copy (a float must be finite: it goes through `_freeze_json`)."""


def _freeze_json(value: Any, depth: int) -> Any:
    if type(value) in _PLAIN:  # the common leaves, without a call each (this runs on every patch a plugin builds)
        return value
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        frozen = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _NotJson(f"key {key!r} is not a string")
            frozen[key] = item if type(item) in _PLAIN else _freeze_json(item, depth + 1)
        return FrozenDict(frozen)
    if isinstance(value, (list, tuple)):
        if depth >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return tuple(item if type(item) in _PLAIN else _freeze_json(item, depth + 1) for item in value)
    if isinstance(value, (str, int)):  # subclasses of str and int (bool is one) are JSON too
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _NotJson(f"{value} is not a JSON number")
        return value
    raise _NotJson(f"{type(value).__name__} is not JSON")


def _json_problem(value: Any, depth: int) -> str | None:
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} is not a JSON number"
    if depth > 1000:
        return "nested too deeply"
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"key {key!r} is not a string"
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return f"{type(value).__name__} is not JSON"
