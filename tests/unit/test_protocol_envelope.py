"""open_envelope: every accept and refuse rule, with its status code."""

import json
import time

import pytest

from cardbot.action import LEGACY, TRIGGER
from cardbot.errors import CallbackRejected
from cardbot.protocol import CallbackAuth, open_envelope, parse_action
from cardbot.protocol.envelope import DEV_LOOPBACK_ONLY
from cardbot.testing import LarkCallbacks, encrypt, signature_headers

BOTH = CallbackAuth(verification_token="vt", encrypt_key="ek")
TOKEN_ONLY = CallbackAuth(verification_token="vt", encrypt_key=None)
KEY_ONLY = CallbackAuth(verification_token=None, encrypt_key="ek")
NONE = CallbackAuth(verification_token=None, encrypt_key=None)
DEV = CallbackAuth(verification_token=None, encrypt_key=None, dev=True)

LARK = LarkCallbacks(verification_token="vt", encrypt_key="ek")
LARK_TOKEN_ONLY = LarkCallbacks(verification_token="vt")
LARK_KEY_ONLY = LarkCallbacks(encrypt_key="ek")
LARK_NO_SECRETS = LarkCallbacks()


def _open(request, auth, *, loopback=False, now=None):
    body, headers = request
    return open_envelope(body, headers, auth, peer_is_loopback=loopback, now=now)


def _refused(request, auth, **kwargs) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as refused:
        _open(request, auth, **kwargs)
    return refused.value


def _v1_event(token="vt"):
    event = {"type": "message", "text": "hi"}
    payload = {"uuid": "41d8f7a2", "token": token, "ts": "1700000000.1", "type": "event_callback"}
    payload["event"] = event
    return json.dumps(payload).encode(), {"Content-Type": "application/json"}


# card.action.trigger


def test_encrypted_signed_trigger_is_a_card_action():
    envelope = _open(LARK.card_action_trigger(value={"button_type": "vote"}), BOTH)
    assert (envelope.kind, envelope.format, envelope.event_type) == ("card_action", TRIGGER, TRIGGER)
    assert envelope.payload["event"]["action"]["value"] == {"button_type": "vote"}


def test_plaintext_signed_trigger_is_accepted():
    assert _open(LARK.card_action_trigger(encrypt=False), BOTH).format == TRIGGER


def test_trigger_without_signature_is_401_when_a_key_is_configured():
    refused = _refused(LARK.card_action_trigger(sign=False), BOTH)
    assert (refused.status, refused.reason) == (401, "missing X-Lark-Signature")
    assert _refused(LARK.card_action_trigger(sign=False), KEY_ONLY).status == 401


def test_trigger_signed_with_another_key_is_401():
    other = LarkCallbacks(verification_token="vt", encrypt_key="other")
    body, _ = LARK.card_action_trigger()
    headers = other.card_action_trigger()[1] | signature_headers(body, "other")
    assert _refused((body, headers), BOTH).status == 401


def test_trigger_with_the_wrong_verification_token_is_403():
    impostor = LarkCallbacks(verification_token="not-vt", encrypt_key="ek")
    refused = _refused(impostor.card_action_trigger(), BOTH)
    assert (refused.status, refused.reason) == (403, "wrong verification token")


def test_trigger_with_only_a_key_skips_the_token():
    assert _open(LARK_KEY_ONLY.card_action_trigger(), KEY_ONLY).kind == "card_action"


def test_trigger_with_only_a_token_is_checked_by_token():
    assert _open(LARK_TOKEN_ONLY.card_action_trigger(), TOKEN_ONLY).format == TRIGGER
    impostor = LarkCallbacks(verification_token="not-vt")
    assert _refused(impostor.card_action_trigger(), TOKEN_ONLY).status == 403


def test_encrypted_body_without_a_configured_key_is_the_uniform_400():
    refused = _refused(LARK.card_action_trigger(), TOKEN_ONLY)
    assert (refused.status, refused.reason) == (400, "cannot decrypt the body")


def test_encrypted_with_another_key_is_the_uniform_400():
    other = LarkCallbacks(verification_token="vt", encrypt_key="other")
    refused = _refused(other.card_action_trigger(sign=False), BOTH)
    assert (refused.status, refused.reason) == (400, "cannot decrypt the body")


def test_decrypted_garbage_is_the_uniform_400():
    for plaintext in ["not json", "[1]", '{"a": NaN}']:
        body = json.dumps({"encrypt": encrypt(plaintext, "ek")}).encode()
        refused = _refused((body, {}), BOTH)
        assert (refused.status, refused.reason) == (400, "cannot decrypt the body")


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_signature_headers_in_any_case(case):
    body, headers = LARK.card_action_trigger()
    assert _open((body, {case(k): v for k, v in headers.items()}), BOTH).kind == "card_action"


def test_timestamp_window():
    now = time.time()
    fresh = LARK.card_action_trigger(timestamp=str(int(now) - 299))
    assert _open(fresh, BOTH, now=now).kind == "card_action"
    stale = LARK.card_action_trigger(timestamp=str(int(now) - 302))
    refused = _refused(stale, BOTH, now=now)
    assert (refused.status, refused.reason) == (401, "stale request timestamp")
    relaxed = CallbackAuth("vt", "ek", timestamp_tolerance=0)
    assert _open(stale, relaxed, now=now).kind == "card_action"
    old_date = LARK.legacy_card_action(timestamp="Monday, 14-Nov-22 15:53:37 CST")
    assert _refused(old_date, BOTH, now=now).reason == "stale request timestamp"
    china_now = time.strftime("%A, %d-%b-%y %H:%M:%S CST", time.gmtime(now + 8 * 3600))
    assert _open(LARK.legacy_card_action(timestamp=china_now), BOTH, now=now).kind == "card_action"
    opaque = LARK.legacy_card_action(timestamp="not a time")
    assert _open(opaque, BOTH, now=now).kind == "card_action"


def test_reshuffled_signature_headers_cannot_make_an_old_trigger_fresh(monkeypatch):
    """Moving a nonce character into the timestamp keeps the signature valid and makes the timestamp
    unreadable, but the signed body's own header.create_time still dates the request."""
    captured_at = time.time() - 3600
    monkeypatch.setattr(time, "time_ns", lambda: int(captured_at * 1e9))
    body, headers = LARK.card_action_trigger(timestamp=str(int(captured_at)))
    monkeypatch.undo()
    nonce = headers["X-Lark-Request-Nonce"]
    reshuffled = dict(headers, **{"X-Lark-Request-Timestamp": headers["X-Lark-Request-Timestamp"] + nonce[0],
                                  "X-Lark-Request-Nonce": nonce[1:]})
    assert _refused((body, headers), BOTH).reason == "stale request timestamp"
    assert _refused((body, reshuffled), BOTH).reason == "stale request timestamp"


# other schema 2.0 callbacks


def test_url_preview_is_other():
    envelope = _open(LARK.event("url.preview.get", {"context": {"url": "https://x"}}), BOTH)
    assert (envelope.kind, envelope.event_type, envelope.format) == ("other", "url.preview.get", None)


def test_other_v2_callbacks_are_authenticated_too():
    assert _refused(LARK.event("im.message.receive_v1", {}, sign=False), BOTH).status == 401
    impostor = LarkCallbacks(verification_token="not-vt", encrypt_key="ek")
    assert _refused(impostor.event("im.message.receive_v1", {}), BOTH).status == 403


@pytest.mark.parametrize(
    "payload",
    [
        {"schema": "2.0"},
        {"schema": "2.0", "header": []},
        {"schema": "2.0", "header": {"event_type": ""}},
        {"schema": "1.0", "header": {"event_type": "card.action.trigger"}},
    ],
)
def test_malformed_schema_2_is_400(payload):
    body = json.dumps({"encrypt": encrypt(json.dumps(payload), "ek")}).encode()
    headers = signature_headers(body, "ek")
    assert _refused((body, headers), BOTH).status == 400


# url_verification


@pytest.mark.parametrize("encrypted", [False, True])
def test_url_verification_without_signature(encrypted):
    envelope = _open(LARK.url_verification("ch-1", encrypt=encrypted), BOTH)
    assert (envelope.kind, envelope.challenge) == ("challenge", "ch-1")


def test_url_verification_with_the_wrong_token_is_403():
    impostor = LarkCallbacks(verification_token="not-vt", encrypt_key="ek")
    assert _refused(impostor.url_verification(), BOTH).status == 403
    assert _refused(impostor.url_verification(encrypt=False), TOKEN_ONLY).status == 403


def test_url_verification_with_only_a_key():
    assert _open(LARK_KEY_ONLY.url_verification("c"), KEY_ONLY).challenge == "c"
    refused = _refused(LARK_KEY_ONLY.url_verification(encrypt=False), KEY_ONLY)
    assert refused.status == 403 and "LARK_VERIFICATION_TOKEN" in refused.reason


def test_url_verification_with_a_bad_signature_header_is_401():
    body, headers = LARK.url_verification(encrypt=False)
    headers |= {"X-Lark-Signature": "0" * 40}
    assert _refused((body, headers), BOTH).status == 401


@pytest.mark.parametrize("challenge", [None, 5, ["c"]])
def test_url_verification_without_a_string_challenge_is_400(challenge):
    body = json.dumps({"type": "url_verification", "token": "vt", "challenge": challenge}).encode()
    assert _refused((body, {}), BOTH).status == 400


# legacy card callbacks


def test_signed_legacy_callback_is_a_card_action():
    envelope = _open(LARK.legacy_card_action(value={"k": "v"}), BOTH)
    assert (envelope.kind, envelope.format) == ("card_action", LEGACY)
    assert _open(LARK_TOKEN_ONLY.legacy_card_action(), TOKEN_ONLY).format == LEGACY


def test_unsigned_legacy_callback_is_401():
    assert _refused(LARK.legacy_card_action(sign=False), BOTH).status == 401


def test_legacy_callback_signed_with_another_token_is_401():
    impostor = LarkCallbacks(verification_token="not-vt")
    assert _refused(impostor.legacy_card_action(), TOKEN_ONLY).status == 401


def test_legacy_signed_the_v2_way_is_401():
    body, headers = LARK.legacy_card_action(sign=False)
    assert _refused((body, headers | signature_headers(body, "ek")), BOTH).status == 401


def test_legacy_callback_with_only_a_key_cannot_be_authenticated():
    refused = _refused(LARK_KEY_ONLY.legacy_card_action(sign=False), KEY_ONLY)
    assert refused.status == 403 and "LARK_VERIFICATION_TOKEN" in refused.reason


def test_legacy_date_timestamp_is_accepted_when_current():
    china_now = time.strftime("%A, %d-%b-%y %H:%M:%S CST", time.gmtime(time.time() + 8 * 3600))
    assert _open(LARK.legacy_card_action(timestamp=china_now), BOTH).format == LEGACY


def test_encrypted_legacy_callback_needs_the_v2_signature():
    payload = json.loads(LARK.legacy_card_action()[0])
    body = json.dumps({"encrypt": encrypt(json.dumps(payload), "ek")}).encode()
    assert _refused((body, {}), BOTH).status == 401
    assert _open((body, signature_headers(body, "ek")), BOTH).format == LEGACY


# v1 events and unrecognisable bodies


def test_v1_event_is_checked_by_token():
    envelope = _open(_v1_event(), TOKEN_ONLY)
    assert (envelope.kind, envelope.event_type) == ("other", "message")
    assert _refused(_v1_event("not-vt"), BOTH).status == 403
    assert _refused(_v1_event(), KEY_ONLY).status == 403


def test_encrypted_v1_event_needs_the_signature():
    body = json.dumps({"encrypt": encrypt(_v1_event()[0].decode(), "ek")}).encode()
    assert _refused((body, {}), KEY_ONLY).status == 401
    assert _open((body, signature_headers(body, "ek")), KEY_ONLY).kind == "other"


@pytest.mark.parametrize("payload", [{}, {"foo": 1}, {"uuid": "u", "event": "x"}, {"action": {}}])
def test_unrecognisable_is_400(payload):
    refused = _refused((json.dumps(payload).encode(), {}), TOKEN_ONLY)
    assert (refused.status, refused.reason) == (400, "not a callback Lark sends")


# malformed bodies


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'"text"',
        b"1",
        b"null",
        b'{"a": 1',
        b"\xff\xfe{}",
        '{"a": "飞"}'.encode("utf-16"),
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": "\\ud800"}',
        b"\xef\xbb\xbf{}",
        b"[" * 100_000,
        b'{"a":' * 1025 + b"1" + b"}" * 1025,
    ],
)
def test_malformed_body_is_400_whatever_the_secrets(body):
    for auth in (BOTH, NONE, DEV):
        assert _refused((body, {}), auth, loopback=True).status == 400


def test_a_body_nested_past_1024_levels_is_refused_while_parsing():
    refused = _refused((b"[" * 1025 + b"]" * 1025, {}), BOTH)
    assert (refused.status, refused.reason) == (400, "body is nested too deeply")


def test_a_component_value_may_nest_64_levels():
    value = {}
    for _ in range(63):  # 64 levels of objects in all
        value = {"n": value}
    envelope = _open(LARK.card_action_trigger(value=value, encrypt=False), BOTH)
    assert parse_action(envelope).value == value
    deeper = _open(LARK.card_action_trigger(value={"n": value}, encrypt=False), BOTH)
    with pytest.raises(CallbackRejected) as refused:
        parse_action(deeper)
    assert (refused.value.status, refused.value.reason) == (400, "event.action.value is nested deeper than 64 levels")


# no secrets, --dev


def test_no_secrets_is_403_with_guidance():
    refused = _refused(LARK_NO_SECRETS.card_action_trigger(), NONE, loopback=True)
    assert refused.status == 403
    assert all(word in refused.reason for word in ("LARK_VERIFICATION_TOKEN", "LARK_ENCRYPT_KEY", "--dev"))


def test_empty_secrets_count_as_unset():
    assert _refused(LARK_NO_SECRETS.card_action_trigger(), CallbackAuth("", "")).status == 403


def test_dev_accepts_unsigned_callbacks_from_loopback():
    assert _open(LARK_NO_SECRETS.card_action_trigger(), DEV, loopback=True).format == TRIGGER
    assert _open(LARK_NO_SECRETS.legacy_card_action(), DEV, loopback=True).format == LEGACY
    assert _open(LARK_NO_SECRETS.url_verification("c"), DEV, loopback=True).challenge == "c"


def test_dev_refuses_other_peers():
    refused = _refused(LARK_NO_SECRETS.card_action_trigger(), DEV, loopback=False)
    assert (refused.status, refused.reason) == (403, DEV_LOOPBACK_ONLY)


def test_dev_cannot_decrypt():
    assert _refused(LARK.card_action_trigger(), DEV, loopback=True).status == 400


def test_dev_is_ignored_once_a_secret_is_configured():
    auth = CallbackAuth("vt", None, dev=True)
    assert _refused(LARK_TOKEN_ONLY.legacy_card_action(sign=False), auth, loopback=True).status == 401


# whether the callback's time was checked against the replay window (decides how long its dedupe record lives)


def test_a_signed_click_with_an_epoch_timestamp_has_its_time_checked():
    assert _open(LARK.legacy_card_action(value={"button_type": "vote"}), BOTH).time_checked is True
    assert _open(LARK.card_action_trigger(value={"button_type": "vote"}), BOTH).time_checked is True


def test_a_legacy_http_date_timestamp_is_checked_too():
    moment = "Monday, 14-Nov-22 15:53:37 CST"
    request = LARK.legacy_card_action(value={"button_type": "vote"}, timestamp=moment)
    assert _open(request, BOTH, now=1668412417.0).time_checked is True


def test_a_legacy_click_whose_timestamp_names_no_time_has_no_window():
    request = LARK.legacy_card_action(value={"button_type": "vote"}, timestamp="not-a-time")
    assert _open(request, BOTH).time_checked is False


def test_the_signed_create_time_of_a_trigger_is_its_window_even_with_an_opaque_header():
    request = LARK.card_action_trigger(value={"button_type": "vote"}, timestamp="not-a-time")
    assert _open(request, BOTH).time_checked is True


def test_nothing_is_checked_when_the_window_is_switched_off():
    off = CallbackAuth(verification_token="vt", encrypt_key="ek", timestamp_tolerance=0)
    assert _open(LARK.legacy_card_action(value={"button_type": "vote"}), off).time_checked is False
    assert _open(LARK.card_action_trigger(value={"button_type": "vote"}), off).time_checked is False
