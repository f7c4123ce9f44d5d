"""Step 1 of the lean reference: the signature, the timestamp window, decryption, the delivery's identity.

    click = open_click(raw_body, headers, time.time())     # Refused(400/401/403) otherwise
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

VERIFICATION_TOKEN = os.environ.get("LARK_VERIFICATION_TOKEN", "")
ENCRYPT_KEY = os.environ.get("LARK_ENCRYPT_KEY", "")
TOLERANCE = 300.0
"""`[bot] timestamp_tolerance`: seconds a signed timestamp may be from now."""


class Refused(Exception):
    """A callback refused with an HTTP status and a reason (answered `{"error": reason}`)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Click:
    """An authenticated vote click."""

    trigger: bool
    delivery_id: str
    message_id: str
    operator: str
    value: Any
    time_checked: bool


def open_click(raw: bytes, headers: Any, now: float) -> Click:
    """The click in a signed callback; Refused(400/401/403) otherwise."""
    body = _json_object(raw, "body")
    trigger = "encrypt" in body or "schema" in body
    secret = ENCRYPT_KEY if trigger else VERIFICATION_TOKEN
    if not secret:
        raise Refused(403, "no secret is configured for this callback format")
    signature = headers.get("x-lark-signature")
    if signature is None:
        raise Refused(401, "missing X-Lark-Signature")
    timestamp = headers.get("x-lark-request-timestamp", "")
    signed = (timestamp + headers.get("x-lark-request-nonce", "") + secret).encode() + raw
    expected = (hashlib.sha256 if trigger else hashlib.sha1)(signed).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Refused(401, "signature mismatch")
    time_checked = _fresh(_header_time(timestamp), now)
    if trigger:
        payload = _json_object(_decrypt(body.get("encrypt")), "decrypted body") if "encrypt" in body else body
        header, event = _object(payload, "header"), _object(payload, "event")
        if payload.get("schema") != "2.0" or header.get("event_type") != "card.action.trigger":
            raise Refused(400, "not a card.action.trigger callback")
        if VERIFICATION_TOKEN and not _same(header.get("token"), VERIFICATION_TOKEN):
            raise Refused(403, "wrong verification token")
        time_checked = _fresh(_create_time(header.get("create_time")), now) or time_checked
        context = _object(event, "context")
        operator, action = _object(event, "operator"), _object(event, "action")
        delivery_id = "v2:" + _text(header, "event_id")
        message_id = _text(context, "open_message_id")
        person = _person(operator)
    else:
        if "action" not in body or "open_message_id" not in body:
            raise Refused(400, "not a callback Lark sends")
        action = _object(body, "action")
        message_id, person = _text(body, "open_message_id"), _person(body)
        signed_fields = [body.get("token"), message_id, person, action]
        delivery_id = "v1:" + hashlib.sha256(orjson.dumps(signed_fields, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return Click(trigger, delivery_id, message_id, person, action.get("value"), time_checked)


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


_AES_KEY = hashlib.sha256(ENCRYPT_KEY.encode()).digest()


def _decrypt(encrypted: object) -> bytes:
    """base64(iv ‖ AES-256-CBC(PKCS7)) with key SHA-256(encrypt key); one reason for every failure."""
    try:
        if not isinstance(encrypted, str):
            raise ValueError("not a string")
        raw = base64.b64decode(encrypted, validate=True)
        if len(raw) < 32 or len(raw) % 16:
            raise ValueError("bad length")
        decryptor = Cipher(algorithms.AES(_AES_KEY), modes.CBC(raw[:16])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(decryptor.update(raw[16:]) + decryptor.finalize()) + unpadder.finalize()
    except (ValueError, TypeError):
        raise Refused(400, "cannot decrypt the body") from None


def _header_time(timestamp: str) -> float | None:
    """Epoch seconds of a signature timestamp (digits: seconds, 13 digits: milliseconds; or an HTTP date in
    Lark's China Standard Time), None when it names no time (then only the delivery record stops a replay)."""
    if timestamp.isascii() and timestamp.isdigit():
        return float("inf") if len(timestamp) > 15 else int(timestamp) / (1000 if len(timestamp) == 13 else 1)
    parsed = email.utils.parsedate_tz(timestamp)
    if parsed is None:
        return None
    if timestamp.rstrip().endswith(" CST"):
        parsed = (*parsed[:9], 8 * 3600)
    return float(email.utils.mktime_tz(parsed))


def _create_time(value: object) -> float | None:
    """`header.create_time` in seconds (sent in micro- or milliseconds), None when it is no timestamp."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20):
        return None
    number = int(value)
    return number / 1e6 if number > 1e14 else number / 1e3 if number > 1e11 else float(number)


def _fresh(moment: float | None, now: float) -> bool:
    """Refuse a known time outside the window; whether there was one to check."""
    if moment is None:
        return False
    if abs(moment - now) > TOLERANCE:
        raise Refused(401, "stale request timestamp")
    return True


def _same(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise Refused(400, f"{key} must be a JSON object")
    return value


def _text(parent: dict[str, Any], key: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise Refused(400, f"{key} must be a non-empty string")
    return value


def _person(fields: dict[str, Any]) -> str:
    """The clicker's id as cardbot keys people: the open_id, else the user_id, else the union_id."""
    for key in ("open_id", "user_id", "union_id"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    raise Refused(400, "open_id (or user_id or union_id) must be a non-empty string")
