"""Turn one raw callback request into an authenticated, classified `Envelope`, or refuse it.

    envelope = open_envelope(body, headers, auth, peer_is_loopback=False)
    if envelope.kind == "challenge":
        answer = {"challenge": envelope.challenge}
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..action import LEGACY, TRIGGER, CallbackFormat
from ..errors import CallbackRejected
from .crypto import UNDECRYPTABLE, decrypt
from .jsonbody import load_object
from .timestamps import timestamp_seconds
from .signature import check_freshness, constant_time_equal, has_signature, verify_signature

NO_SECRETS = (
    "no callback secret is configured: set LARK_VERIFICATION_TOKEN and/or LARK_ENCRYPT_KEY, "
    "or run with --dev to accept unsigned callbacks from this machine"
)
DEV_LOOPBACK_ONLY = ("--dev accepts unsigned callbacks from loopback only (and none that a proxy forwarded "
                     "for another client)")
LEGACY_NEEDS_TOKEN = (
    "legacy card callbacks are signed with the verification token only; set LARK_VERIFICATION_TOKEN "
    "(the encrypt key cannot authenticate them)"
)


@dataclass(frozen=True, slots=True)
class CallbackAuth:
    """The secrets callbacks are checked with; None or "" means not configured.

    `timestamp_tolerance`: seconds an epoch-seconds signature timestamp may be from now (0 disables).
    `dev` accepts unsigned plaintext callbacks, but only while no secret is configured and only
    from a loopback peer.
    """

    verification_token: str | None
    encrypt_key: str | None
    timestamp_tolerance: float = 300.0
    dev: bool = False

    @property
    def unsigned_allowed(self) -> bool:
        """`dev` with no secret configured: only then does the peer's address (loopback or not) matter."""
        return self.dev and not (self.verification_token or self.encrypt_key)


@dataclass(frozen=True, slots=True)
class Envelope:
    """An authenticated callback: the plaintext JSON object and what kind of callback it is.

    kind "challenge" has `challenge`; "card_action" has `format` (LEGACY or TRIGGER); "other" is
    anything else Lark sends (url.preview.get, events). `event_type` is set whenever the body names
    one (`header.event_type` in schema 2.0, `event.type` in v1 events).
    """

    kind: Literal["challenge", "card_action", "other"]
    payload: dict[str, Any]
    format: CallbackFormat | None = None
    challenge: str | None = None
    event_type: str | None = None
    time_checked: bool = False
    """True when the callback's time (signed timestamp header or `header.create_time`) was checked against
    the replay window; a delivery whose time could not be checked has no window, so its dedupe record is
    kept for good (docs/protocol.md, "Replays")."""


def open_envelope(
    raw_body: bytes,
    headers: Mapping[str, str],
    auth: CallbackAuth,
    *,
    peer_is_loopback: bool,
    now: float | None = None,
) -> Envelope:
    """Decrypt, authenticate and classify a callback; raise CallbackRejected(status, reason) otherwise.

    400: not a UTF-8 JSON object, nested too deeply, fields missing, cannot decrypt (one uniform reason).
    401: signature missing where required, signature mismatch, timestamp outside the window.
    403: wrong verification token, nothing configured that can authenticate the callback.

    The signature scheme follows the raw body: `encrypt` or `schema` in it means sha256 with the
    encrypt key, a flat body means sha1 with the verification token. Signature headers, when present
    and verifiable, are checked on the raw bytes before anything is decrypted.

    - url_verification: never signed by Lark; its `token` must equal the verification token. Without
      a token configured, only an encrypted challenge (it decrypted with our key) is accepted.
    - an unsigned body where a signature is required is decrypted only to recognise a url_verification:
      400 when it does not decrypt to a JSON object, else 401 "missing X-Lark-Signature" whatever it holds.
    - schema 2.0 (card.action.trigger, url.preview.get, events): with an encrypt key the signature is
      required; `header.token` must equal the verification token when one is configured. Without an
      encrypt key the token check is the only authentication Lark offers.
    - legacy card callback (flat, `action` + `open_message_id`): the sha1 signature is required, so
      a verification token must be configured.
    - v1 event (`uuid` + `event`): signature when encrypted, `token` when a verification token is set.
    - no secret at all: refused, unless `auth.dev` and the peer is loopback (then nothing is checked).
    """
    body = load_object(raw_body)
    now = time.time() if now is None else now
    token = auth.verification_token or None
    key = auth.encrypt_key or None
    if token is None and key is None:
        if not auth.dev:
            raise CallbackRejected(403, NO_SECRETS)
        if not peer_is_loopback:
            raise CallbackRejected(403, DEV_LOOPBACK_ONLY)
        return _classify(_plaintext(body, None))
    v2_scheme = "encrypt" in body or "schema" in body
    secret = key if v2_scheme else token
    verified = secret is not None and has_signature(headers)
    header_time_checked = False
    if verified and secret is not None:
        header_time_checked = verify_signature(
            raw_body,
            headers,
            secret=secret,
            legacy=not v2_scheme,
            tolerance=auth.timestamp_tolerance,
            now=now,
        )
    elif v2_scheme and key is not None:
        _only_url_verification_unsigned(body, key)
    envelope = _classify(_plaintext(body, key))
    _authenticate(envelope, token, key, v2_scheme=v2_scheme, verified=verified, encrypted=_encrypted(body))
    body_time_checked = _check_created(envelope, auth.timestamp_tolerance, now)
    if header_time_checked or body_time_checked:
        envelope = replace(envelope, time_checked=True)
    return envelope


def _only_url_verification_unsigned(body: dict[str, Any], key: str) -> None:
    """An unsigned body where the signature is required: decrypted only to recognise a url_verification
    (Lark sends those unsigned). Anything else is 401 whatever its structure, so an unsigned ciphertext
    tells its sender one bit only: whether it decrypts to a JSON object (400) or not (401)."""
    if _plaintext(body, key).get("type") != "url_verification":
        _require_signature(False)


def _encrypted(body: dict[str, Any]) -> bool:
    return isinstance(body.get("encrypt"), str) and body["encrypt"] != ""


def _plaintext(body: dict[str, Any], key: str | None) -> dict[str, Any]:
    if not _encrypted(body):
        return body
    if key is None:
        raise CallbackRejected(400, UNDECRYPTABLE)
    try:
        return load_object(decrypt(body["encrypt"], key), "decrypted body")
    except CallbackRejected:
        raise CallbackRejected(400, UNDECRYPTABLE) from None


def classify(payload: dict[str, Any]) -> Envelope:
    """What kind of callback a plain JSON body is, with no authentication: for bodies that arrive over an
    already authenticated channel (the long connection). CallbackRejected(400) when Lark sends no such body."""
    return _classify(payload)


def _classify(payload: dict[str, Any]) -> Envelope:
    if payload.get("type") == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            raise CallbackRejected(400, "url_verification without a challenge")
        return Envelope("challenge", payload, challenge=challenge)
    if "schema" in payload:
        header = payload.get("header")
        event_type = header.get("event_type") if isinstance(header, dict) else None
        if payload["schema"] != "2.0":
            raise CallbackRejected(400, "unsupported callback schema")
        if not isinstance(event_type, str) or not event_type:
            raise CallbackRejected(400, "schema 2.0 callback without header.event_type")
        if event_type == TRIGGER:
            return Envelope("card_action", payload, format=TRIGGER, event_type=event_type)
        return Envelope("other", payload, event_type=event_type)
    if "action" in payload and "open_message_id" in payload:
        return Envelope("card_action", payload, format=LEGACY)
    event = payload.get("event")
    if isinstance(payload.get("uuid"), str) and isinstance(event, dict):
        event_type = event.get("type")
        return Envelope("other", payload, event_type=event_type if isinstance(event_type, str) else None)
    raise CallbackRejected(400, "not a callback Lark sends")


def _authenticate(
    envelope: Envelope,
    token: str | None,
    key: str | None,
    *,
    v2_scheme: bool,
    verified: bool,
    encrypted: bool,
) -> None:
    """Apply the per-kind rules of `open_envelope` once the signature, if any, has been verified."""
    if envelope.kind == "challenge":
        if token is not None:
            _check_token(envelope.payload.get("token"), token)
        elif not encrypted:
            raise CallbackRejected(403, "set LARK_VERIFICATION_TOKEN to check a plaintext url_verification")
        return
    if envelope.format == LEGACY and not v2_scheme:
        if token is None:
            raise CallbackRejected(403, LEGACY_NEEDS_TOKEN)
        _require_signature(verified)
        return
    if v2_scheme and key is not None:
        _require_signature(verified)
    if envelope.format == LEGACY:
        return
    if token is not None:
        _check_token(_carried_token(envelope.payload), token)
    elif not verified:
        raise CallbackRejected(403, "this callback cannot be authenticated with an encrypt key alone")


def _check_created(envelope: Envelope, tolerance: float, now: float) -> bool:
    """A card.action.trigger carries its creation time inside the signed body (`header.create_time`,
    microseconds): a replay with its signature headers reshuffled still cannot pass as fresh. Returns
    whether it was checked."""
    if envelope.format != TRIGGER:
        return False
    seconds = timestamp_seconds(envelope.payload["header"].get("create_time"))
    return seconds is not None and check_freshness(seconds, now, tolerance)


def _carried_token(payload: dict[str, Any]) -> object:
    """The verification token a schema 2.0 (`header.token`) or v1 (`token`) body carries."""
    return payload["header"].get("token") if "schema" in payload else payload.get("token")


def _require_signature(verified: bool) -> None:
    if not verified:
        raise CallbackRejected(401, "missing X-Lark-Signature")


def _check_token(carried: object, token: str) -> None:
    if not constant_time_equal(carried, token):
        raise CallbackRejected(403, "wrong verification token")
