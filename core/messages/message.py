"""The `Message` value: one chat message a person sent to the bot (Lark's `im.message.receive_v1`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..action import Operator
from ..frozen import FrozenDict, thaw


@dataclass(frozen=True, slots=True)
class Mention:
    """One person (or bot) @-mentioned in a message; `key` is how the text shows them ("@_user_1")."""

    key: str
    name: str | None
    open_id: str | None
    user_id: str | None
    union_id: str | None

    @property
    def id(self) -> str | None:
        """The mentioned person's id: the open_id, else the user_id, else the union_id (None when Lark sent none)."""
        return self.open_id or self.user_id or self.union_id

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-ready dict of every field and the id."""
        return {
            "key": self.key,
            "id": self.id,
            "name": self.name,
            "open_id": self.open_id,
            "user_id": self.user_id,
            "union_id": self.union_id,
        }


@dataclass(frozen=True, slots=True)
class Message:
    """A received chat message, parsed by `parse_message`.

        message.sender.id        # "ou_…", who wrote it (see Operator)
        message.chat_id          # "oc_…", where; chat_type says "p2p" (direct) or "group"
        message.text             # "@_user_1 poll Lunch?": plain text, mentions as their keys
        message.delivery_id      # "msg:om_…": a redelivery of the same message carries the same id

    `text` is a text message's text, or a post's paragraphs (runs joined, paragraphs by "\\n"; the post's
    title is left out, it is in `content["title"]`); "" for other message types. `content` is the
    decoded, read-only content object of any type.
    """

    message_id: str
    chat_id: str
    chat_type: str
    message_type: str
    sender: Operator
    sender_type: str | None
    text: str
    content: FrozenDict
    mentions: tuple[Mention, ...]
    delivery_id: str
    """"msg:" + message_id. Lark may deliver one message under several event ids: dedupe by this."""
    root_id: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    created_at: datetime | None = None
    """When it was sent (`message.create_time`), an aware UTC datetime."""
    event_id: str | None = None
    app_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-ready dict of every field (for logs and tests); `created_at` in ISO 8601."""
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "chat_type": self.chat_type,
            "message_type": self.message_type,
            "sender": {
                "id": self.sender.id,
                "id_type": self.sender.id_type,
                "open_id": self.sender.open_id,
                "user_id": self.sender.user_id,
                "union_id": self.sender.union_id,
                "tenant_key": self.sender.tenant_key,
            },
            "sender_type": self.sender_type,
            "text": self.text,
            "content": thaw(self.content),
            "mentions": [mention.to_json() for mention in self.mentions],
            "delivery_id": self.delivery_id,
            "root_id": self.root_id,
            "parent_id": self.parent_id,
            "thread_id": self.thread_id,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "event_id": self.event_id,
            "app_id": self.app_id,
        }
