"""The JSON body that answers a card callback, shaped for the format the callback came in."""

from __future__ import annotations

from typing import Any

from ..action import LEGACY, TRIGGER, CallbackFormat
from ..patches.templates import is_template
from ..toast import Toast


def render_answer(
    format: CallbackFormat, *, card: dict[str, Any] | None, toast: Toast | None
) -> dict[str, Any]:
    """The answer body: `{}` changes nothing; the given card is never modified.

    card.action.trigger: `{"toast": {...}, "card": {"type": "raw", "data": card}}`, each key only when given;
    a template card (`{"type": "template", "data": {...}}`) goes as `"card"` itself.
    legacy: the card JSON itself with `"toast"` beside its keys, or `{"toast": {...}}` alone (a template card's
    `type` and `data` are such keys: `{"type": "template", "data": {...}, "toast": {...}}`).
    """
    if format == TRIGGER:
        answer: dict[str, Any] = {}
        if toast is not None:
            answer["toast"] = toast.to_json()
        if card is not None:
            answer["card"] = card if is_template(card) else {"type": "raw", "data": card}
        return answer
    if format == LEGACY:
        answer = dict(card) if card is not None else {}
        if toast is not None:
            answer["toast"] = toast.to_json()
        return answer
    raise ValueError(f"unknown callback format {format!r}")
