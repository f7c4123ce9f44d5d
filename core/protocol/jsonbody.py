"""Strict JSON loading for untrusted callback bodies."""

from __future__ import annotations

from typing import Any

from ..errors import CallbackRejected
from ..jsoncodec import loads


def load_object(data: bytes, what: str = "body") -> dict[str, Any]:
    """Parse UTF-8 JSON `data` that must be an object; raise CallbackRejected(400) for anything else.

    Refused: invalid UTF-8, invalid JSON (NaN and Infinity included), a non-object, strings holding lone
    surrogates (`"\\ud800"`), nesting past 1024 levels. The values cardbot walks (a component's `value`,
    `form_value`) are held to MAX_DEPTH levels when they are parsed into an Action.
    """
    try:
        value = loads(data)
    except ValueError as error:
        reason = "is nested too deeply" if "depth" in str(error) else (
            "is not UTF-8" if "UTF-8" in str(error) else "is not valid JSON")
        raise CallbackRejected(400, f"{what} {reason}") from None
    if not isinstance(value, dict):
        raise CallbackRejected(400, f"{what} is not a JSON object")
    return value
