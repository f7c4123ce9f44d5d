"""What the Lark open platform enforces, for `FakeLarkPlatform` (see its module docstring for every rule).

Built from lark-protocol.md §7 and §14 and Lark's API pages alone (it imports nothing from cardbot) so that it
catches the client's mistakes.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, TypeGuard
from urllib.parse import unquote

if TYPE_CHECKING:
    from .lark_platform import RecordedRequest

RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")
MSG_TYPES = ("text", "post", "interactive")
MAX_CARD_BYTES = 30 * 1024
"""Also the limit for a post; a text may have 150 KB."""
MAX_TEXT_BYTES = 150 * 1024
MAX_PREVIEW_TOKENS = 10
MAX_PREVIEW_OPEN_IDS = 100
RATE_LIMITED = 99991400


class Refused(Exception):
    """Lark refuses the request: `Refused(code, msg)`, HTTP 400; a rate limit is HTTP 429 with `reset` seconds."""

    def __init__(self, code: int, msg: str, *, status: int = 400, reset: float | None = None) -> None:
        super().__init__(code, msg)
        self.status, self.reset = status, reset


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


class PreviewRefresh(NamedTuple):
    """One accepted link-preview refresh: its tokens, its `open_ids` (None: not sent) and the platform's time."""

    tokens: list[str]
    open_ids: list[str] | None
    at: float


class LarkRules:
    """The platform's endpoints; `FakeLarkPlatform` supplies the state they read and change."""

    app_id: str
    app_secret: str
    expire: int
    bot_open_id: str
    bot_name: str
    preview_max_requests: int
    preview_window: float
    preview_token_seconds: float
    _clock: Callable[[], float]
    messages: dict[str, dict[str, Any]]
    updates: list[CardUpdate]
    preview_refreshes: list[PreviewRefresh]
    _chats: dict[str, str]
    _reply_uuids: dict[str, tuple[str, float]]
    _preview_calls: list[float]
    _preview_tokens: dict[str, float]
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

    def _bot_info(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        return {"msg": "ok", "bot": {"activate_status": 2, "app_name": self.bot_name, "ip_white_list": [],
                                     "avatar_url": "https://example.invalid/avatar.png", "open_id": self.bot_open_id}}

    def _send(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        id_type, receive_id = request.query.get("receive_id_type"), body.get("receive_id")
        if id_type not in RECEIVE_ID_TYPES or not isinstance(receive_id, str) or not receive_id:
            raise Refused(99992402, f"field validation failed: receive_id, receive_id_type in {RECEIVE_ID_TYPES}")
        msg_type, content, uuid = _message_fields(body)
        now = self._clock()
        if uuid in self._uuids and now - self._uuids[uuid][1] < 3600:
            return {"data": {"message_id": self._uuids[uuid][0]}}
        message_id = "om_" + secrets.token_hex(16)
        self.messages[message_id] = {"receive_id": receive_id, "receive_id_type": id_type,
                                     **_stored(msg_type, content), "uuid": uuid}
        if uuid is not None:
            self._uuids[uuid] = (message_id, now)
        return {"data": {"message_id": message_id}}

    def _reply(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        parent = unquote(request.path.split("/")[-2])
        msg_type, content, uuid = _message_fields(body)
        in_thread = body.get("reply_in_thread", False)
        if not isinstance(in_thread, bool):
            raise Refused(99992402, "field validation failed: reply_in_thread must be a boolean")
        chat_id, now = self._chat_of(parent), self._clock()
        if uuid in self._reply_uuids and now - self._reply_uuids[uuid][1] < 3600:
            return {"data": {"message_id": self._reply_uuids[uuid][0]}}
        message_id = "om_" + secrets.token_hex(16)
        self.messages[message_id] = {**_stored(msg_type, content), "uuid": uuid, "reply_to": parent,
                                     "reply_in_thread": in_thread, "chat_id": chat_id}
        if uuid is not None:
            self._reply_uuids[uuid] = (message_id, now)
        return {"data": {"message_id": message_id, "parent_id": parent, "chat_id": chat_id, "msg_type": msg_type}}

    def _chat_of(self, message_id: str) -> str | None:
        """The chat of a registered user message or of a message sent here (None: a send to a user, whose p2p chat
        id the platform never made up); 230001 for any other id."""
        if message_id in self._chats:
            return self._chats[message_id]
        message = self.messages.get(message_id)
        if message is None:
            raise Refused(230001, f"invalid message_id: {message_id} (not sent here, nor registered)")
        if "chat_id" in message:
            return message["chat_id"]
        return message["receive_id"] if message.get("receive_id_type") == "chat_id" else None

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
        if "card" not in self.messages[message_id]:
            raise Refused(230054, "This operation is not supported for this message type.")
        card = _card_from_string(body.get("content"), code=230099)
        if not (_is_shared(self.messages[message_id]["card"]) and _is_shared(card)):
            raise Refused(230099, "only shared cards can be patched: config.update_multi true before and after")
        self.messages[message_id]["card"] = card
        self.updates.append(CardUpdate("patch", message_id, card))
        return {}

    def _refresh_previews(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        now = self._clock()
        recent = sorted(at for at in self._preview_calls if now - at < self.preview_window)
        self._preview_calls = [*recent, now]  # every call counts, refused or not
        if len(recent) >= self.preview_max_requests:
            reset = recent[len(recent) - self.preview_max_requests] + self.preview_window - now
            raise Refused(RATE_LIMITED, "request trigger frequency limit", status=429, reset=reset)
        tokens, open_ids = body.get("preview_tokens"), body.get("open_ids")
        if not (_strings(tokens) and 1 <= len(tokens) <= MAX_PREVIEW_TOKENS and all(tokens)):
            raise Refused(99992402, f"field validation failed: preview_tokens: 1 to {MAX_PREVIEW_TOKENS} tokens")
        if open_ids is not None and not (_strings(open_ids) and len(open_ids) <= MAX_PREVIEW_OPEN_IDS):
            raise Refused(99992402, f"field validation failed: open_ids: at most {MAX_PREVIEW_OPEN_IDS} open_ids")
        seconds = self.preview_token_seconds
        early = [token for token in tokens if now - self._preview_tokens.get(token, -math.inf) < seconds]
        if early:
            reset = max(self._preview_tokens[token] for token in early) + seconds - now
            message = f"request trigger frequency limit: {early} refreshed less than {seconds:g} s ago"
            raise Refused(RATE_LIMITED, message, status=429, reset=reset)
        self._preview_tokens.update(dict.fromkeys(tokens, now))
        self.preview_refreshes.append(PreviewRefresh(list(tokens), open_ids, now))
        return {"data": {}}


def _message_fields(body: dict) -> tuple[str, dict, str | None]:
    """A send's or reply's `msg_type`, parsed `content` and `uuid`, checked as Lark checks them."""
    msg_type, uuid = body.get("msg_type"), body.get("uuid")
    if msg_type not in MSG_TYPES or not (uuid is None or isinstance(uuid, str) and len(uuid) <= 50):
        raise Refused(99992402, f"field validation failed: msg_type in {MSG_TYPES}, uuid ≤ 50 chars")
    try:
        content = json.loads(body["content"]) if isinstance(body.get("content"), str) else None
    except ValueError:
        content = None
    if not isinstance(content, dict):
        raise Refused(230001, "content must be a JSON string of an object")
    if not _fits(msg_type, content):
        raise Refused(230001, f"invalid content for msg_type {msg_type}")
    if _size(content) > (MAX_TEXT_BYTES if msg_type == "text" else MAX_CARD_BYTES):
        raise Refused(230025, "the message content is longer than its limit (text 150 KB, post and card 30 KB)")
    return msg_type, content, uuid


def _fits(msg_type: str, content: dict) -> bool:
    if msg_type == "text":
        return isinstance(content.get("text"), str)
    if msg_type == "post":
        return bool(content) and all(_is_post_language(language) for language in content.values())
    if content.get("type") == "template":
        data = content.get("data")
        return (isinstance(data, dict) and isinstance(data.get("template_id"), str) and bool(data["template_id"])
                and isinstance(data.get("template_variable", {}), dict)
                and isinstance(data.get("template_version_name", ""), str))
    return True  # a card JSON


def _is_post_language(post: Any) -> bool:
    """{"title": "…" (optional), "content": [[{"tag": "text", …}, …], …]}: paragraphs of tagged elements."""
    if not isinstance(post, dict) or not isinstance(post.get("title", ""), str):
        return False
    paragraphs = post.get("content")
    return isinstance(paragraphs, list) and all(
        isinstance(paragraph, list) and all(isinstance(element, dict) and isinstance(element.get("tag"), str)
                                            for element in paragraph)
        for paragraph in paragraphs)


def _stored(msg_type: str, content: dict) -> dict[str, Any]:
    """What `messages` keeps of a message's content; `card` (for patches and updates) on interactive ones."""
    return {"msg_type": msg_type, "content": content, **({"card": content} if msg_type == "interactive" else {})}


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


def _strings(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_shared(card: dict) -> bool:
    config = card.get("config")
    return card.get("schema") == "2.0" or isinstance(config, dict) and config.get("update_multi") is True
