"""Read the `Action` out of an authenticated card callback, in either format.

    action = parse_action(envelope)
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..action import LEGACY, PREVIEW_CARD_PREFIX, TRIGGER, URL_PREVIEW, Action
from ..errors import CallbackRejected
from ..frozen import FrozenDict
from ..jsoncodec import dumps
from .envelope import Envelope
from .fields import (flag_field, frozen_field, object_field, operator_of, required_text, text_field,
                     texts_field)
from .timestamps import timestamp_datetime


def parse_action(envelope: Envelope) -> Action:
    """The click in a `card_action` envelope; CallbackRejected(400) when a field is missing or mistyped.

    Required: an operator id (open_id, user_id or union_id; `user_id` may be an object holding all
    three), the `action` object, for card.action.trigger `header.event_id`, and the card: the message id,
    or for a link-preview card (`delivery_type` "url_preview") its `context.preview_token`.
    `host` and `context` are read from `event`, or from beside it as one official example has them.
    `action.value` may be an object (a read-only dict) or a string (`value_text`); anything else is kept
    as an empty object, so the click still gets an answer. `options` may be one string (the image picker's
    official example sends one) or a list of them.
    `delivery_id` is "v2:<event_id>", or for legacy callbacks "v1:" + sha256 of the canonical JSON of
    [the body's update token, message id, operator id, action object]: signed fields only, so a
    replay with other headers is still the same delivery.
    """
    if envelope.kind != "card_action" or envelope.format not in (LEGACY, TRIGGER):
        raise ValueError(f"not a card action envelope: kind {envelope.kind!r}")
    payload = envelope.payload
    at = "event.action." if envelope.format == TRIGGER else "action."
    extra: dict[str, Any] = {}
    if envelope.format == TRIGGER:
        header = object_field(payload, "header", "")
        event = object_field(payload, "event", "")
        operator_fields = object_field(event, "operator", "event.")
        context, where = (event, "event.") if "context" in event else (payload, "")
        context = object_field(context, "context", where)
        at_context = where + "context."
        action = object_field(event, "action", "event.")
        operator = operator_of(operator_fields, "event.operator.", text_field(header, "tenant_key", "header."))
        host, host_at = (event, "event.") if "host" in event else (payload, "")
        extra = {
            "host": text_field(host, "host", host_at),
            "delivery_type": text_field(event, "delivery_type", "event."),
            "url": text_field(context, "url", at_context),
            "preview_token": text_field(context, "preview_token", at_context),
            "app_id": text_field(header, "app_id", "header."),
            "created_at": timestamp_datetime(header.get("create_time")),
        }
        message_id = text_field(context, "open_message_id", at_context) or None
        if extra["delivery_type"] == URL_PREVIEW:
            card_id = PREVIEW_CARD_PREFIX + required_text(context, "preview_token", at_context)
        else:
            card_id = required_text(context, "open_message_id", at_context)
        chat_id = text_field(context, "open_chat_id", at_context)
        update_token = text_field(event, "token", "event.")
        delivery_id = "v2:" + required_text(header, "event_id", "header.")
    else:
        action = object_field(payload, "action", "")
        operator = operator_of(payload, "", None)
        message_id = card_id = required_text(payload, "open_message_id", "")
        chat_id = text_field(payload, "open_chat_id", "")
        update_token = text_field(payload, "token", "")
        delivery_id = "v1:" + _digest([update_token, message_id, operator.id, action])
    value = action.get("value")
    return Action(
        format=envelope.format,
        operator=operator,
        card_id=card_id,
        delivery_id=delivery_id,
        message_id=message_id,
        chat_id=chat_id,
        tag=text_field(action, "tag", at),
        name=text_field(action, "name", at) or None,
        value=frozen_field(value, at + "value") if isinstance(value, dict) else FrozenDict(),
        value_text=value if isinstance(value, str) else None,
        option=text_field(action, "option", at),
        options=_options(action, at),
        form_value=frozen_field(object_field(action, "form_value", at, required=False), at + "form_value"),
        input_value=text_field(action, "input_value", at),
        checked=flag_field(action, "checked", at),
        timezone=text_field(action, "timezone", at),
        update_token=update_token,
        **extra,
    )


def _options(action: dict[str, Any], where: str) -> tuple[str, ...]:
    """A multi-select's choices: a list of strings, or one string as the image picker's official example has it."""
    options = action.get("options")
    return (options,) if isinstance(options, str) else texts_field(action, "options", where)


def _digest(parts: list[Any]) -> str:
    try:
        canonical = dumps(parts, sort_keys=True)
    except TypeError:  # nested past what JSON encoding allows
        raise CallbackRejected(400, "action is nested too deeply") from None
    return hashlib.sha256(canonical.encode()).hexdigest()
