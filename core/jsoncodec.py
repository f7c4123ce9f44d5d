"""Fast, strict JSON for everything on the click path (orjson): compact UTF-8, never NaN.

    text = dumps({"a": "已完成"})      # '{"a":"已完成"}'
    value = loads(b'{"a": 1}')        # ValueError on anything that is not strict JSON

What it produces is the same text `json.dumps(value, ensure_ascii=False, separators=(",", ":"))` gives
for the values cardbot stores, so stored cards compare equal as text.
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError
"""Raised by `loads`; a ValueError."""


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    """Compact JSON text; TypeError for what JSON cannot hold (NaN and infinities become null)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode()


def dumps_bytes(value: Any) -> bytes:
    """`dumps` as UTF-8 bytes, for HTTP bodies."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    """Parse strict JSON: invalid UTF-8, lone surrogates, NaN, Infinity and nesting past 1024 levels raise."""
    return orjson.loads(data)
