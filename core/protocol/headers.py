"""The HTTP headers Lark sets on callbacks, looked up case-insensitively."""

from __future__ import annotations

from collections.abc import Mapping

TIMESTAMP = "X-Lark-Request-Timestamp"
NONCE = "X-Lark-Request-Nonce"
SIGNATURE = "X-Lark-Signature"


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name` in any letter case, or None when it is absent."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == wanted), None)
    return value if isinstance(value, str) else None
