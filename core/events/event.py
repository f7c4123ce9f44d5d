"""`Event`: an event Lark pushed to the callback URL that a plugin claims (`im.chat.member.bot.added_v1`, …)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import CallbackRejected
from ..frozen import FrozenDict, freeze, thaw
from ..protocol.timestamps import timestamp_datetime


@dataclass(frozen=True, slots=True)
class Event:
    """One event as Lark sent it: its type and id, and its `event` object (read-only).

        event.event_type        # "im.chat.member.bot.added_v1"
        event.body["chat_id"]   # the fields of its `event` object, as Lark documents them
    """

    event_type: str
    event_id: str
    body: FrozenDict = field(default_factory=FrozenDict)
    app_id: str | None = None
    tenant_key: str | None = None
    created_at: datetime | None = None

    @property
    def delivery_id(self) -> str:
        """What dedupes it: "ev:" + the event id (a redelivery carries the same one)."""
        return "ev:" + self.event_id

    def to_json(self) -> dict[str, Any]:
        """Plain JSON of every field (for logs and tests)."""
        return {"event_type": self.event_type, "event_id": self.event_id, "body": thaw(self.body),
                "app_id": self.app_id, "tenant_key": self.tenant_key,
                "created_at": None if self.created_at is None else self.created_at.isoformat()}


def parse_event(payload: dict[str, Any]) -> Event:
    """The event in a schema 2.0 body (`header` + `event`) or a v1 body (`uuid` + `event.type`);
    CallbackRejected(400) when its id, type or `event` object is missing."""
    if "schema" in payload:
        header = payload.get("header")
        header = header if isinstance(header, dict) else {}
        event_type, event_id = header.get("event_type"), header.get("event_id")
        tenant_key, app_id, created = header.get("tenant_key"), header.get("app_id"), header.get("create_time")
    else:  # v1: {"uuid", "token", "ts", "type": "event_callback", "event": {"type", "app_id", "tenant_key", …}}
        inner = payload.get("event")
        inner = inner if isinstance(inner, dict) else {}
        event_type, event_id = inner.get("type"), payload.get("uuid")
        tenant_key, app_id, created = inner.get("tenant_key"), inner.get("app_id"), None
    body = payload.get("event")
    if not isinstance(event_id, str) or not event_id:
        raise CallbackRejected(400, "the event has no id (header.event_id, or uuid in a v1 event)")
    if not isinstance(event_type, str) or not event_type:
        raise CallbackRejected(400, "the event has no type (header.event_type, or event.type in a v1 event)")
    if not isinstance(body, dict):
        raise CallbackRejected(400, "event must be a JSON object")
    try:
        frozen = freeze(body)
    except ValueError as error:
        raise CallbackRejected(400, f"event is {error}") from None
    return Event(event_type, event_id, frozen, app_id if isinstance(app_id, str) else None,
                 tenant_key if isinstance(tenant_key, str) else None, timestamp_datetime(created))
