"""What the Lark open platform enforces, for `FakeLarkPlatform` (see its module docstring for every rule).

Built from lark-protocol.md §7 alone (it imports nothing from cardbot) so that it catches the client's mistakes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import unquote

if TYPE_CHECKING:
    from .lark_platform import RecordedRequest

RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")
MAX_CARD_BYTES = 30 * 1024


class Refused(Exception):
    """Lark refuses the request: `Refused(code, msg)`."""


@dataclass
class CardUpdate:
    """A delayed update (`kind` "update") or patch the platform applied; `message_id` None: token not issued here."""

    kind: str
    message_id: str | None
    card: dict
    open_ids: list[str] | None = None
    token: str | None = None
    operator: str | None = None
    """The open_id the update token was issued for (`issue_update_token`)."""



class LarkRules:
    """The platform's endpoints; `FakeLarkPlatform` supplies the state they read and change."""

    app_id: str
    app_secret: str
    expire: int
    _clock: Callable[[], float]
    messages: dict[str, dict[str, Any]]
    updates: list[CardUpdate]
    _tokens: dict[str, float]
    _current: str | None
    _uuids: dict[str, tuple[str, float]]
    _update_tokens: dict[str, tuple[str, str]]
    _update_uses: dict[str, int]

    def _token(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            raise Refused(10014, "app secret invalid")
        now = self._clock()
        if self._current is None or self._tokens[self._current] - now < 30 * 60:
            self._current = "t-" + secrets.token_hex(16)
            self._tokens[self._current] = now + self.expire
        return {"tenant_access_token": self._current, "expire": int(self._tokens[self._current] - now)}

    def _authorize(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise Refused(99991661, "Missing access token for authorization")
        if self._tokens.get(token, float("-inf")) <= self._clock():
            raise Refused(99991663, "Invalid access token for authorization")

    def _send(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        id_type, receive_id, uuid = request.query.get("receive_id_type"), body.get("receive_id"), body.get("uuid")
        if id_type not in RECEIVE_ID_TYPES or not isinstance(receive_id, str) or not receive_id:
            raise Refused(99992402, f"field validation failed: receive_id, receive_id_type in {RECEIVE_ID_TYPES}")
        if body.get("msg_type") != "interactive" or not (uuid is None or isinstance(uuid, str) and len(uuid) <= 50):
            raise Refused(99992402, "field validation failed: msg_type must be interactive, uuid ≤ 50 chars")
        card, now = _card_from_string(body.get("content"), code=230001), self._clock()
        if uuid in self._uuids and now - self._uuids[uuid][1] < 3600:
            return {"data": {"message_id": self._uuids[uuid][0]}}
        message_id = "om_" + secrets.token_hex(16)
        self.messages[message_id] = {"receive_id": receive_id, "receive_id_type": id_type, "card": card, "uuid": uuid}
        if uuid is not None:
            self._uuids[uuid] = (message_id, now)
        return {"data": {"message_id": message_id}}

    def _update(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        token, card = body.get("token"), body.get("card")
        if not isinstance(token, str) or not token.startswith("c-"):
            raise Refused(300020, "invalid token format")
        if not isinstance(card, dict) or _size(card) > MAX_CARD_BYTES:
            raise Refused(10002, "card must be a JSON object of at most 30 KB")
        if self._update_uses.get(token, 0) >= 2:
            raise Refused(300040, "the token has been used more than 2 times")
        message_id, operator = self._update_tokens.get(token, (None, None))
        stored = self.messages.get(message_id, {}).get("card") if message_id else None
        shared, open_ids = _is_shared(card if stored is None else stored), card.get("open_ids")
        if not shared and not open_ids:
            raise Refused(300090, "open_ids is required to update an exclusive card (update_multi is not true)")
        if shared and "open_ids" in card or not (shared or _strings(open_ids)):
            raise Refused(200320, "invalid open_ids: a list of open_ids, for exclusive cards only")
        new_card = {key: value for key, value in card.items() if key != "open_ids"}
        self._update_uses[token] = self._update_uses.get(token, 0) + 1
        if shared and message_id in self.messages:
            self.messages[message_id]["card"] = new_card
        self.updates.append(CardUpdate("update", message_id, new_card, open_ids, token, operator))
        return {}

    def _patch(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        message_id = unquote(request.path.rpartition("/")[2])
        if message_id not in self.messages:
            raise Refused(230001, f"invalid message_id: {message_id}")
        card = _card_from_string(body.get("content"), code=230099)
        if not (_is_shared(self.messages[message_id]["card"]) and _is_shared(card)):
            raise Refused(230099, "only shared cards can be patched: config.update_multi true before and after")
        self.messages[message_id]["card"] = card
        self.updates.append(CardUpdate("patch", message_id, card))
        return {}


def _card_from_string(content: Any, *, code: int) -> dict:
    try:
        card = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        card = None
    if not isinstance(card, dict):
        raise Refused(code, "content must be a JSON string of a card object")
    if _size(card) > MAX_CARD_BYTES:
        raise Refused(230025, "the card is longer than 30 KB")
    return card


def _size(card: dict) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_shared(card: dict) -> bool:
    config = card.get("config")
    return card.get("schema") == "2.0" or isinstance(config, dict) and config.get("update_multi") is True
