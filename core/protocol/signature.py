"""Lark's request signatures: sha256 with the Encrypt Key (v2) or sha1 with the Verification Token (legacy).

Both hash `timestamp + nonce + secret` (UTF-8) followed by the raw body bytes exactly as received.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
from collections.abc import Mapping

from ..errors import CallbackRejected
from .headers import NONCE, SIGNATURE, TIMESTAMP, header_value

_MAX_TIMESTAMP_DIGITS = 15


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _signed_bytes(timestamp: str, nonce: str, secret: str, raw_body: bytes) -> bytes:
    return _utf8(timestamp + nonce + secret) + raw_body


def v2_signature(timestamp: str, nonce: str, encrypt_key: str, raw_body: bytes) -> str:
    """The `X-Lark-Signature` of events and `card.action.trigger` callbacks (lowercase hex sha256)."""
    return hashlib.sha256(_signed_bytes(timestamp, nonce, encrypt_key, raw_body)).hexdigest()


def legacy_signature(timestamp: str, nonce: str, verification_token: str, raw_body: bytes) -> str:
    """The `X-Lark-Signature` of legacy card callbacks (lowercase hex sha1)."""
    return hashlib.sha1(_signed_bytes(timestamp, nonce, verification_token, raw_body)).hexdigest()


def constant_time_equal(given: object, expected: str) -> bool:
    """Constant-time `given == expected` for a received value; False whenever `given` is not a string."""
    if not isinstance(given, str):
        return False
    return hmac.compare_digest(_utf8(given), _utf8(expected))


def has_signature(headers: Mapping[str, str]) -> bool:
    """True when the request carries an `X-Lark-Signature` header (in any letter case)."""
    return header_value(headers, SIGNATURE) is not None


def verify_signature(
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    secret: str,
    legacy: bool,
    tolerance: float,
    now: float,
) -> bool:
    """Check `X-Lark-Signature` against `raw_body`, then the timestamp window; raise CallbackRejected(401).
    Returns whether the timestamp was checked against the window (see `check_freshness`).

    A missing timestamp or nonce header hashes as "". A timestamp that names a time (epoch seconds, or
    an HTTP date such as the legacy "Monday, 14-Nov-22 15:53:37 CST") is refused when more than
    `tolerance` seconds away from `now` (`tolerance` <= 0 disables the window). Any other timestamp is
    hashed as an opaque string only; the delivery record still stops a replay from running twice.
    """
    timestamp = header_value(headers, TIMESTAMP) or ""
    nonce = header_value(headers, NONCE) or ""
    sign = legacy_signature if legacy else v2_signature
    if not constant_time_equal(header_value(headers, SIGNATURE), sign(timestamp, nonce, secret, raw_body)):
        raise CallbackRejected(401, "signature mismatch")
    return check_freshness(request_time(timestamp), now, tolerance)


def request_time(timestamp: str) -> float | None:
    """Epoch seconds named by an `X-Lark-Request-Timestamp`, or None when it is in no known format.

    Digits are epoch seconds (13 digits: milliseconds).
    "CST" is China Standard Time (+08:00), the zone of Lark's servers, not US Central.
    """
    if timestamp.isascii() and timestamp.isdigit():
        if len(timestamp) > _MAX_TIMESTAMP_DIGITS:
            return float("inf")
        value = float(timestamp)
        return value / 1000 if len(timestamp) == 13 else value  # 13 digits: milliseconds
    parsed = email.utils.parsedate_tz(timestamp)
    if parsed is None:
        return None
    if timestamp.rstrip().endswith(" CST"):
        parsed = (*parsed[:9], 8 * 3600)
    return float(email.utils.mktime_tz(parsed))


def check_freshness(moment: float | None, now: float, tolerance: float) -> bool:
    """Refuse (401) a known `moment` more than `tolerance` seconds from `now`; 0 tolerance disables this.
    Returns True when `moment` was checked (known, and a window is set), False when nothing could be."""
    if tolerance <= 0 or moment is None:
        return False
    if abs(moment - now) > tolerance:
        raise CallbackRejected(401, "stale request timestamp")
    return True
