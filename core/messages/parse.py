"""Read the `Message` out of an `im.message.receive_v1` event body (schema 2.0).

    message = parse_message(payload)      # or CallbackRejected(400, "event.message.chat_id must be …")

The event: https://open.feishu.cn/document/server-docs/im-v1/message/events/receive
Each message type's content ("接收消息内容结构"):
https://open.larkoffice.com/document/uAjLw4CM/ukTMukTMukTM/im-v1/message/events/message_content.md

`message.content` is a JSON object in a string. A text message's is `{"text": "@_user_1 hello"}`; a post's
(rich text) is paragraphs of runs, with each @-mention as an `at` run whose `user_id` is the mention key:

    {"title": "", "content": [[{"tag": "at", "user_id": "@_user_1", "user_name": "Bot", "style": []},
                               {"tag": "text", "text": " poll Lunch?", "style": []}],
                              [{"tag": "img", "image_key": "img_v2_…", "width": 1293, "height": 1500}]]}

Posts read back through the API, and posts cardbot sends, carry a locale layer instead
(`{"zh_cn": {"title": …, "content": […]}}`); both shapes are read.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..action import Operator
from ..errors import CallbackRejected
from ..protocol.fields import ID_KEYS, object_field, operator_of, refuse, required_text, text_field
from ..frozen import FrozenDict, freeze
from ..jsoncodec import loads
from .message import Mention, Message

EVENT_TYPE = "im.message.receive_v1"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_message(payload: dict[str, Any]) -> Message:
    """The message in an `im.message.receive_v1` body; CallbackRejected(400) when a field is missing or mistyped.

    Required: `event.message` with message_id, chat_id, chat_type, message_type and content (a string
    holding a JSON object), and a sender id in `event.sender.sender_id`. Every other field may be
    missing; present, it must have its documented type. An empty id ("") counts as missing.
    The content object's own shape is not checked: what `text` cannot read from it is left out.
    ValueError when `header.event_type` names another event.
    """
    header = object_field(payload, "header", "", required=False)
    event_type = text_field(header, "event_type", "header.")
    if event_type is not None and event_type != EVENT_TYPE:
        raise ValueError(f"not an {EVENT_TYPE} event: {event_type!r}")
    event = object_field(payload, "event", "")
    sender = object_field(event, "sender", "event.")
    message = object_field(event, "message", "event.")
    message_id = required_text(message, "message_id", "event.message.")
    message_type = required_text(message, "message_type", "event.message.")
    content = _content(message)
    return Message(
        message_id=message_id,
        chat_id=required_text(message, "chat_id", "event.message."),
        chat_type=required_text(message, "chat_type", "event.message."),
        message_type=message_type,
        sender=_sender(sender, text_field(header, "tenant_key", "header.")),
        sender_type=text_field(sender, "sender_type", "event.sender.") or None,
        text=_plain_text(message_type, content),
        content=content,
        mentions=_mentions(message),
        delivery_id="msg:" + message_id,
        root_id=text_field(message, "root_id", "event.message.") or None,
        parent_id=text_field(message, "parent_id", "event.message.") or None,
        thread_id=text_field(message, "thread_id", "event.message.") or None,
        created_at=_millis(message, "create_time", "event.message."),
        event_id=text_field(header, "event_id", "header.") or None,
        app_id=text_field(header, "app_id", "header.") or None,
    )


def _sender(sender: dict[str, Any], fallback_tenant: str | None) -> Operator:
    sender_id = dict(object_field(sender, "sender_id", "event.sender."))
    sender_id.setdefault("tenant_key", text_field(sender, "tenant_key", "event.sender."))
    return operator_of(sender_id, "event.sender.sender_id.", fallback_tenant)


def _mentions(message: dict[str, Any]) -> tuple[Mention, ...]:
    items = message.get("mentions")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise refuse("event.message.", "mentions", "a list of JSON objects")
    mentions = []
    for index, item in enumerate(items):
        where = f"event.message.mentions[{index}]"
        if not isinstance(item, dict):
            raise CallbackRejected(400, f"{where} must be a JSON object")
        ids = _ids(object_field(item, "id", where + ".", required=False), where + ".id.")
        mentions.append(Mention(
            key=required_text(item, "key", where + "."),
            name=text_field(item, "name", where + ".") or None,
            **ids,
        ))
    return tuple(mentions)


def _ids(fields: dict[str, Any], where: str) -> dict[str, str | None]:
    return {key: text_field(fields, key, where) or None for key in ID_KEYS}  # "" names nobody


def _content(message: dict[str, Any]) -> FrozenDict:
    raw = message.get("content")
    refusal = refuse("event.message.", "content", "a JSON object in a string")
    if not isinstance(raw, str):
        raise refusal
    try:
        content = loads(raw)
    except ValueError:
        raise refusal from None
    if not isinstance(content, dict):
        raise refusal
    try:
        return freeze(content)
    except ValueError as error:
        raise CallbackRejected(400, f"event.message.content is {error}") from None


def _plain_text(message_type: str, content: FrozenDict) -> str:
    """A text message's text; a post's paragraphs joined by "\\n" (title left out); "" for other types."""
    if message_type == "text":
        text = content.get("text")
        return text if isinstance(text, str) else ""
    if message_type == "post":
        return "\n".join(_paragraph_text(paragraph) for paragraph in _paragraphs(content))
    return ""


def _paragraphs(content: FrozenDict) -> tuple[Any, ...]:
    """The post's paragraphs, with or without a locale layer (the first locale that has content)."""
    body = content if "content" in content else next(
        (value for value in content.values() if isinstance(value, dict) and "content" in value), {})
    paragraphs = body.get("content")
    return paragraphs if isinstance(paragraphs, tuple) else ()


def _paragraph_text(paragraph: Any) -> str:
    """The paragraph's runs joined; a mention key is kept a word of its own (a space beside text that has none)."""
    line = ""
    after_mention = False
    for run in paragraph if isinstance(paragraph, tuple) else ():
        piece, is_mention = _run_text(run)
        if piece and line and (is_mention or after_mention) and not (line[-1].isspace() or piece[0].isspace()):
            line += " "
        line += piece
        after_mention = is_mention if piece else after_mention
    return line


def _run_text(run: Any) -> tuple[str, bool]:
    """A run's text and whether it is a mention: an `at` run gives its key, any other run its `text`."""
    if not isinstance(run, dict):
        return "", False
    if run.get("tag") == "at":
        key, name = run.get("user_id"), run.get("user_name")
        if isinstance(key, str) and key.startswith("@"):
            return key, True
        return ("@" + name, True) if isinstance(name, str) and name else ("", False)
    text = run.get("text")
    return (text, False) if isinstance(text, str) else ("", False)


def _millis(parent: dict[str, Any], key: str, where: str) -> datetime | None:
    value = text_field(parent, key, where)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise refuse(where, key, "a string of milliseconds since 1970")
    try:
        return EPOCH + timedelta(milliseconds=int(value))
    except OverflowError:
        raise refuse(where, key, "a string of milliseconds since 1970") from None
