"""Strict JSON loading for untrusted callback bodies."""

from __future__ import annotations

import json
from typing import Any

from ..errors import CallbackRejected

MAX_DEPTH = 64
"""Deepest container nesting accepted. Lark's envelope takes four levels; the rest is the card's value."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_object(data: bytes, what: str = "body") -> dict[str, Any]:
    """Parse UTF-8 JSON `data` that must be an object; raise CallbackRejected(400) for anything else.

    Refused: invalid UTF-8, invalid JSON (NaN and Infinity included), a non-object, nesting deeper than
    MAX_DEPTH, strings holding lone surrogates (`"\\ud800"`), which no UTF-8 store can keep.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CallbackRejected(400, f"{what} is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise CallbackRejected(400, f"{what} is nested too deeply") from None
    except ValueError:
        raise CallbackRejected(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise CallbackRejected(400, f"{what} is not a JSON object")
    _check_tree(value, what)
    return value


def _check_tree(root: dict[str, Any], what: str) -> None:
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            items = value
        else:
            if isinstance(value, str) and not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    raise CallbackRejected(400, f"{what} has an invalid unicode escape") from None
            continue
        if depth > MAX_DEPTH:
            raise CallbackRejected(400, f"{what} is nested too deeply")
        stack.extend((item, depth + 1) for item in items)
