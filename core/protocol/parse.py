"""Read the `Action` out of an authenticated card callback, in either format.

    action = parse_action(envelope)
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..action import LEGACY, TRIGGER, Action, Operator
from ..errors import CallbackRejected
from ..frozen import FrozenDict, freeze
from ..jsoncodec import dumps
from .envelope import Envelope

ID_KEYS = ("open_id", "user_id", "union_id")


def parse_action(envelope: Envelope) -> Action:
    """The click in a `card_action` envelope; CallbackRejected(400) when a field is missing or mistyped.

    Required: an operator id (open_id, user_id or union_id; `user_id` may be an object holding all
    three), the message id, the `action` object, and for card.action.trigger `header.event_id`.
    `context` is read from `event`, or from beside it as one official example has it. `action.value`
    becomes a read-only dict; a value that is not a JSON object (Lark's SDKs support object values only)
    is kept as an empty one, so the click still gets an answer.
    `delivery_id` is "v2:<event_id>", or for legacy callbacks "v1:" + sha256 of the canonical JSON of
    [the body's update token, message id, operator id, action object]: signed fields only, so a
    replay with other headers is still the same delivery.
    """
    if envelope.kind != "card_action" or envelope.format not in (LEGACY, TRIGGER):
        raise ValueError(f"not a card action envelope: kind {envelope.kind!r}")
    payload = envelope.payload
    at = "event.action." if envelope.format == TRIGGER else "action."
    if envelope.format == TRIGGER:
        header = _object(payload, "header", "")
        event = _object(payload, "event", "")
        operator_fields = _object(event, "operator", "event.")
        context, where = (event, "event.") if "context" in event else (payload, "")
        context = _object(context, "context", where)
        action = _object(event, "action", "event.")
        operator = _operator(operator_fields, "event.operator.", _text(header, "tenant_key", "header."))
        message_id = _required_text(context, "open_message_id", where + "context.")
        chat_id = _text(context, "open_chat_id", where + "context.")
        update_token = _text(event, "token", "event.")
        delivery_id = "v2:" + _required_text(header, "event_id", "header.")
    else:
        action = _object(payload, "action", "")
        operator = _operator(payload, "", None)
        message_id = _required_text(payload, "open_message_id", "")
        chat_id = _text(payload, "open_chat_id", "")
        update_token = _text(payload, "token", "")
        delivery_id = "v1:" + _digest([update_token, message_id, operator.id, action])
    return Action(
        format=envelope.format,
        operator=operator,
        message_id=message_id,
        delivery_id=delivery_id,
        chat_id=chat_id,
        tag=_text(action, "tag", at),
        name=_text(action, "name", at),
        value=_frozen(action["value"], at + "value") if isinstance(action.get("value"), dict) else FrozenDict(),
        option=_text(action, "option", at),
        options=_texts(action, "options", at),
        form_value=_frozen(_object(action, "form_value", at, required=False), at + "form_value"),
        input_value=_text(action, "input_value", at),
        checked=_flag(action, "checked", at),
        timezone=_text(action, "timezone", at),
        update_token=update_token,
    )


def _operator(fields: dict[str, Any], where: str, fallback_tenant: str | None) -> Operator:
    """Every id the callback names. `user_id` may be an object holding all three: its ids fill the gaps."""
    nested = fields["user_id"] if isinstance(fields.get("user_id"), dict) else {}
    top = {key: _text(fields, key, where) for key in ID_KEYS if not (key == "user_id" and nested)}
    inner = {key: _text(nested, key, where + "user_id.") for key in ID_KEYS}
    ids = {key: top.get(key) or inner[key] or None for key in ID_KEYS}  # "" names nobody
    if not any(ids.values()):
        raise _refuse(where, "open_id (or user_id or union_id)", "a non-empty string")
    return Operator(**ids, tenant_key=_text(fields, "tenant_key", where) or fallback_tenant)


def _digest(parts: list[Any]) -> str:
    try:
        canonical = dumps(parts, sort_keys=True)
    except TypeError:  # nested past what JSON encoding allows
        raise CallbackRejected(400, "action is nested too deeply") from None
    return hashlib.sha256(canonical.encode()).hexdigest()


def _frozen(value: dict[str, Any], where: str) -> FrozenDict:
    try:
        return freeze(value)
    except ValueError as error:
        raise CallbackRejected(400, f"{where} is {error}") from None


def _refuse(where: str, key: str, expected: str) -> CallbackRejected:
    return CallbackRejected(400, f"{where}{key} must be {expected}")


def _object(parent: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any]:
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _refuse(where, key, "a JSON object")
    return value


def _text(parent: dict[str, Any], key: str, where: str) -> str | None:
    value = parent.get(key)
    if value is not None and not isinstance(value, str):
        raise _refuse(where, key, "a string")
    return value


def _required_text(parent: dict[str, Any], key: str, where: str) -> str:
    value = _text(parent, key, where)
    if not value:
        raise _refuse(where, key, "a non-empty string")
    return value


def _texts(parent: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = parent.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _refuse(where, key, "a list of strings")
    return tuple(value)


def _flag(parent: dict[str, Any], key: str, where: str) -> bool | None:
    value = parent.get(key)
    if value is not None and not isinstance(value, bool):
        raise _refuse(where, key, "true or false")
    return value
