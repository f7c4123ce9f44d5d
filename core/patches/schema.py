"""Facts about a card as a whole: its schema, whether it is shared, its size on the wire."""

from __future__ import annotations

from ..jsoncodec import dumps_bytes

MAX_CARD_BYTES = 30 * 1024
"""Lark's limit on a card: 30 KB of compact UTF-8 JSON."""


def card_schema(card: dict) -> str:
    """`"2.0"` for a card with `"schema": "2.0"`, else `"1.0"` (Lark's default)."""
    return "2.0" if card.get("schema") == "2.0" else "1.0"


def is_shared(card: dict) -> bool:
    """True when every viewer sees the same card: always in 2.0, in 1.0 only with `config.update_multi: true`.

    A template card (`"type": "template"`) counts as shared: whether it is is set in Lark's card builder."""
    if card_schema(card) == "2.0" or card.get("type") == "template":
        return True
    config = card.get("config")
    return isinstance(config, dict) and config.get("update_multi") is True


def card_size(card: dict) -> int:
    """Bytes of `card` as compact UTF-8 JSON, the size Lark limits to `MAX_CARD_BYTES`.

    Raises TypeError when `card` holds what JSON cannot (a set, a non-string key, …); NaN counts as null.
    """
    return len(dumps_bytes(card))
