"""Build callback requests exactly as Lark sends them, for plugin and server tests.

    kit = LarkCallbacks(verification_token="vt", encrypt_key="ek")
    body, headers = kit.card_action_trigger(message_id="om_1", open_id="ou_1", value={"button_type": "vote"})
    response = client.post("/lark/callback", content=body, headers=headers)

Written independently of `cardbot.protocol` (only the Lark docs and SDKs as reference), so tests built
with it catch mistakes there. `encrypt` and `sign` default to what Lark does for the configured secrets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

Request = tuple[bytes, dict[str, str]]
"""The exact body bytes to POST and the headers to send with them."""


def encrypt(plaintext: str, encrypt_key: str, *, iv: bytes | None = None) -> str:
    """Lark's `encrypt` value: base64(iv ‖ AES-256-CBC(SHA-256(key), PKCS7(plaintext))).

    `iv` defaults to 16 random bytes; pass one for reproducible output.
    """
    iv = os.urandom(16) if iv is None else iv
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data) + encryptor.finalize()).decode("ascii")


def signature_headers(
    body: bytes, secret: str, *, legacy: bool = False, timestamp: str | None = None, nonce: str | None = None
) -> dict[str, str]:
    """`X-Lark-Request-Timestamp`, `-Nonce` and `X-Lark-Signature` for `body`.

    v2 (events, card.action.trigger): sha256 with the encrypt key; legacy card callbacks: sha1 with the
    verification token. `timestamp` defaults to now in epoch seconds.
    """
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    nonce = secrets.token_hex(8) if nonce is None else nonce
    digest = hashlib.sha1 if legacy else hashlib.sha256
    signature = digest((timestamp + nonce + secret).encode("utf-8") + body).hexdigest()
    return {
        "X-Lark-Request-Timestamp": timestamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature,
    }


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class LarkCallbacks:
    """A fake Lark platform for one app: builds url_verification, card callbacks and events.

    `verification_token` / `encrypt_key` are the app's secrets (None: not configured). Lark always has
    a verification token; when none is given, bodies carry a random one the server cannot know.
    """

    def __init__(
        self,
        verification_token: str | None = None,
        encrypt_key: str | None = None,
        *,
        app_id: str = "cli_a5fb0ae6a4e1d00b",
        tenant_key: str = "2df73991750e1a5f",
    ) -> None:
        self.verification_token = verification_token
        self.encrypt_key = encrypt_key
        self.app_id = app_id
        self.tenant_key = tenant_key
        self._platform_token = verification_token or secrets.token_urlsafe(20)

    def url_verification(self, challenge: str | None = None, *, encrypt: bool | None = None) -> Request:
        """The handshake sent when a request URL is saved; never signed (Lark sends no signature headers)."""
        payload = {
            "challenge": challenge or str(uuid.uuid4()),
            "token": self._platform_token,
            "type": "url_verification",
        }
        return self._body(payload, encrypt), self._headers()

    def card_action_trigger(
        self,
        *,
        message_id: str | None = "om_574d639e4a44e4dd646eaf628e2",
        open_id: str | None = "ou_7d8a6e6df7621556ce0d21922b676706",
        value: Any = None,
        tag: str = "button",
        event_id: str | None = None,
        update_token: str | None = None,
        chat_id: str | None = "oc_e4d2605ca917e695f54f11aaf56",
        user_id: str | dict[str, str] | None = "867g1b2c",
        union_id: str | None = "on_8ed6aa67826108097d9ee143816345",
        context_beside_event: bool = False,
        host: str = "im_message",
        preview: tuple[str, str] | None = None,
        encrypt: bool | None = None,
        sign: bool | None = None,
        timestamp: str | None = None,
        **action_fields: Any,
    ) -> Request:
        """A schema 2.0 `card.action.trigger` callback, encrypted and signed when the app has an encrypt key.

        `action_fields` go into `event.action` (name, option, options, form_value, input_value, checked,
        timezone); `value=None` sends no value, and a string value is sent as one; None ids are left out
        (Lark sometimes sends no open_id; `message_id=None` sends no open_message_id); `user_id` may be an
        object `{open_id, user_id, union_id}` as some callbacks carry it; `context_beside_event` puts `host`
        and `context` next to `event`, as one official example does; `host` is where the card is shown
        (`im_message`, `im_top_notice`); `preview=(url, preview_token)` makes it a click on a link-preview
        card (`delivery_type: "url_preview"`, the url and token in `context`). Random ids are fresh per call.
        """
        context: dict[str, str] = {} if preview is None else {"url": preview[0], "preview_token": preview[1]}
        if message_id is not None:
            context["open_message_id"] = message_id
        if chat_id is not None:
            context["open_chat_id"] = chat_id
        event = {
            "operator": self._operator(open_id, user_id, union_id),
            "token": update_token or _update_token(),
            "action": _action(value, tag, action_fields),
        }
        if preview is not None:
            event["delivery_type"] = "url_preview"
        placement = {"host": host, "context": context}
        beside = placement if context_beside_event else {}
        return self.event(
            "card.action.trigger", event if beside else event | placement, event_id=event_id, encrypt=encrypt,
            sign=sign, timestamp=timestamp, beside_event=beside,
        )

    def url_preview_get(
        self,
        url: str,
        *,
        preview_token: str | None = None,
        open_id: str | None = "ou_7d8a6e6df7621556ce0d21922b676706",
        message_id: str = "",
        chat_id: str = "",
        host: str = "im_message",
        event_id: str | None = None,
        encrypt: bool | None = None,
        sign: bool | None = None,
    ) -> Request:
        """A `url.preview.get` callback: someone typed or sent `url` (ids are "" while it is only typed)."""
        event = {
            "operator": self._operator(open_id, None, None),
            "host": host,
            "context": {"url": url, "preview_token": preview_token or secrets.token_hex(12),
                        "open_message_id": message_id, "open_chat_id": chat_id},
        }
        return self.event("url.preview.get", event, event_id=event_id, encrypt=encrypt, sign=sign)

    def message_receive(
        self,
        text: str,
        *,
        chat_id: str = "oc_5ce6d572455d361153b7xx51da133945",
        chat_type: str = "group",
        message_id: str | None = None,
        open_id: str = "ou_84aad35d084aa403a838cf73ee18467",
        mentions: Sequence[tuple[str, str]] = (),
        message_type: str = "text",
        content: dict[str, Any] | None = None,
        event_id: str | None = None,
        encrypt: bool | None = None,
        sign: bool | None = None,
    ) -> Request:
        """An `im.message.receive_v1` event: `open_id` wrote `text` in `chat_id`.

        `mentions` are (open_id, name) pairs; write them in `text` as `@_user_1`, `@_user_2`, … in that
        order, as Lark does. `content` replaces the text content (for `post` and other message types).
        """
        now_ms = str(time.time_ns() // 1_000_000)
        message = {
            "message_id": message_id or "om_" + secrets.token_hex(16),
            "create_time": now_ms,
            "update_time": now_ms,
            "chat_id": chat_id,
            "chat_type": chat_type,
            "message_type": message_type,
            "content": json.dumps({"text": text} if content is None else content, ensure_ascii=False),
            "mentions": [
                {"key": f"@_user_{number}", "id": {"open_id": mentioned, "union_id": "on_" + mentioned[3:],
                                                   "user_id": None},
                 "name": name, "tenant_key": self.tenant_key}
                for number, (mentioned, name) in enumerate(mentions, start=1)
            ],
        }
        event = {
            "sender": {"sender_id": {"open_id": open_id, "union_id": "on_" + open_id[3:], "user_id": None},
                       "sender_type": "user", "tenant_key": self.tenant_key},
            "message": message,
        }
        return self.event("im.message.receive_v1", event, event_id=event_id, encrypt=encrypt, sign=sign,
                          create_time=now_ms)

    def payload(self, payload: dict[str, Any], *, encrypt: bool | None = None, sign: bool | None = None,
                fresh: bool = True) -> Request:
        """Send any verbatim payload (an official example, say) as Lark would, for this app.

        A schema 2.0 payload gets this app's verification token in `header.token` and, with `fresh`, the
        current `header.create_time`, then is encrypted and signed like `event`; a v1 event (`uuid` and
        `event`) gets the token in `token`, then is encrypted and signed the same way; a flat legacy card
        body is signed with sha1 like `legacy_card_action`.
        """
        payload = json.loads(json.dumps(payload))
        if "schema" not in payload and "uuid" in payload and isinstance(payload.get("event"), dict):
            payload["token"] = self._platform_token
            return self._signed(payload, encrypt, sign)
        if "schema" not in payload:
            body = _dumps(payload)
            extra = {"X-Refresh-Token": secrets.token_hex(16)}
            if self._wants(sign, self.verification_token, "sign") and self.verification_token is not None:
                extra |= signature_headers(body, self.verification_token, legacy=True)
            return body, self._headers(extra)
        header = payload.setdefault("header", {})
        header["token"] = self._platform_token
        if fresh:
            header["create_time"] = str(time.time_ns() // 1000)
        return self._signed(payload, encrypt, sign)

    def event(
        self,
        event_type: str,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        encrypt: bool | None = None,
        sign: bool | None = None,
        timestamp: str | None = None,
        beside_event: dict[str, Any] | None = None,
        create_time: str | None = None,
    ) -> Request:
        """Any schema 2.0 callback or event around `event`: `url.preview.get`, `im.message.receive_v1`, …

        `beside_event` adds top-level keys next to `header` and `event`; `create_time` defaults to now in
        microseconds (card callbacks; events use milliseconds).
        """
        payload = {
            "schema": "2.0",
            "header": {
                "event_id": event_id or secrets.token_hex(16),
                "token": self._platform_token,
                "create_time": create_time or str(time.time_ns() // 1000),
                "event_type": event_type,
                "tenant_key": self.tenant_key,
                "app_id": self.app_id,
            },
            "event": event,
            **(beside_event or {}),
        }
        return self._signed(payload, encrypt, sign, timestamp)

    def _signed(self, payload: dict[str, Any], encrypt: bool | None, sign: bool | None,
                timestamp: str | None = None) -> Request:
        body = self._body(payload, encrypt)
        if not self._wants(sign, self.encrypt_key, "sign") or self.encrypt_key is None:
            return body, self._headers()
        return body, self._headers(signature_headers(body, self.encrypt_key, timestamp=timestamp))

    def legacy_card_action(
        self,
        *,
        message_id: str = "om_574d639e4a44e4dd646eaf628e2",
        open_id: str | None = "ou_7d8a6e6df7621556ce0d21922b676706",
        value: Any = None,
        tag: str = "button",
        refresh_token: str | None = None,
        update_token: str | None = None,
        chat_id: str | None = "oc_e4d2605ca917e695f54f11aaf56",
        user_id: str | dict[str, str] | None = "867g1b2c",
        union_id: str | None = None,
        sign: bool | None = None,
        timestamp: str | None = None,
        **action_fields: Any,
    ) -> Request:
        """A legacy card callback (message-card request URL): flat plaintext body with `X-Refresh-Token`,
        signed (sha1) when the app has a verification token. Arguments as for `card_action_trigger`.
        """
        payload = {
            "open_id": open_id,
            "user_id": user_id,
            "union_id": union_id,
            "open_message_id": message_id,
            "open_chat_id": chat_id,
            "tenant_key": self.tenant_key,
            "token": update_token or _update_token(),
            "action": _action(value, tag, action_fields),
        }
        body = _dumps({key: item for key, item in payload.items() if item is not None})
        extra = {"X-Refresh-Token": refresh_token or secrets.token_hex(16)}
        if self._wants(sign, self.verification_token, "sign") and self.verification_token is not None:
            extra |= signature_headers(body, self.verification_token, legacy=True, timestamp=timestamp)
        return body, self._headers(extra)

    def _operator(self, open_id: str | None, user_id: str | dict[str, str] | None,
                  union_id: str | None) -> dict[str, Any]:
        ids = {"tenant_key": self.tenant_key, "user_id": user_id, "open_id": open_id, "union_id": union_id}
        return {key: value for key, value in ids.items() if value is not None}

    def _body(self, payload: dict[str, Any], encrypted: bool | None) -> bytes:
        if not self._wants(encrypted, self.encrypt_key, "encrypt") or self.encrypt_key is None:
            return _dumps(payload)
        return _dumps({"encrypt": encrypt(_dumps(payload).decode("utf-8"), self.encrypt_key)})

    @staticmethod
    def _wants(flag: bool | None, secret: str | None, what: str) -> bool:
        if flag and not secret:
            raise ValueError(f"cannot {what}: this LarkCallbacks has no secret for it")
        return bool(secret) if flag is None else flag

    @staticmethod
    def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Go-http-client/1.1",
            "X-Request-Id": str(uuid.uuid4()),
            "X-Tt-Logid": secrets.token_hex(16),
        }
        return headers | (extra or {})


def _update_token() -> str:
    return "c-" + secrets.token_hex(20)


def _action(value: Any, tag: str, fields: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {} if value is None else {"value": value}
    return action | {"tag": tag} | fields
