"""Signatures (sha256 v2, sha1 legacy), case-insensitive headers and the timestamp window."""

import hashlib

import pytest

from cardbot.errors import CallbackRejected
from cardbot.protocol import legacy_signature, v2_signature
from cardbot.protocol.signature import constant_time_equal, request_time, verify_signature

BODY = b'{"encrypt":"abc"}'
NOW = 1_700_000_000


def _headers(signature, timestamp=str(NOW), nonce="n0nce", case=str):
    return {
        case("X-Lark-Request-Timestamp"): timestamp,
        case("X-Lark-Request-Nonce"): nonce,
        case("X-Lark-Signature"): signature,
    }


def _verify(headers, *, legacy=False, secret="ek", tolerance=300.0, body=BODY):
    verify_signature(body, headers, secret=secret, legacy=legacy, tolerance=tolerance, now=NOW)


def test_v2_known_answer():
    expected = "13b22702272a137d100283130693f91764c9ffc41727079ef99daa15b138336b"
    assert v2_signature("1700000000", "n0nce", "ek", BODY) == expected


def test_legacy_known_answer_with_a_date_timestamp():
    expected = "57128c8e7dff3f032e604bb79612d33e8939c533"
    timestamp = "Monday, 14-Nov-22 15:53:37 CST"
    assert legacy_signature(timestamp, "n0nce", "vt", b'{"open_id":"ou_1"}') == expected


def test_the_schemes_hash_secret_and_raw_bytes():
    assert v2_signature("1", "n", "k", b"{}") == hashlib.sha256(b"1nk{}").hexdigest()
    assert legacy_signature("1", "n", "t", b"{}") == hashlib.sha1(b"1nt{}").hexdigest()


@pytest.mark.parametrize("case", [str, str.lower, str.upper], ids=["canonical", "lower", "upper"])
def test_headers_in_any_case(case):
    _verify(_headers(v2_signature(str(NOW), "n0nce", "ek", BODY), case=case))


def test_legacy_scheme_uses_sha1_and_the_token():
    _verify(_headers(legacy_signature(str(NOW), "n0nce", "vt", BODY)), legacy=True, secret="vt")
    with pytest.raises(CallbackRejected) as refused:
        _verify(_headers(v2_signature(str(NOW), "n0nce", "vt", BODY)), legacy=True, secret="vt")
    assert refused.value.status == 401


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 64, v2_signature(str(NOW), "n0nce", "other", BODY), "签名", "\udcff"],
)
def test_a_wrong_signature_is_401(signature):
    with pytest.raises(CallbackRejected) as refused:
        _verify(_headers(signature))
    assert (refused.value.status, refused.value.reason) == (401, "signature mismatch")


def test_the_signature_covers_the_exact_bytes():
    headers = _headers(v2_signature(str(NOW), "n0nce", "ek", BODY))
    with pytest.raises(CallbackRejected):
        _verify(headers, body=BODY.replace(b":", b": "))


def test_missing_timestamp_and_nonce_hash_as_empty():
    _verify({"X-Lark-Signature": v2_signature("", "", "ek", BODY)})


@pytest.mark.parametrize("offset", [-300, -1, 0, 1, 300])
def test_integer_timestamp_inside_the_window(offset):
    timestamp = str(NOW + offset)
    _verify(_headers(v2_signature(timestamp, "n0nce", "ek", BODY), timestamp=timestamp))


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 10**9])
def test_integer_timestamp_outside_the_window_is_401(offset):
    timestamp = str(NOW + offset)
    with pytest.raises(CallbackRejected) as refused:
        _verify(_headers(v2_signature(timestamp, "n0nce", "ek", BODY), timestamp=timestamp))
    assert (refused.value.status, refused.value.reason) == (401, "stale request timestamp")


def test_absurdly_long_integer_timestamp_is_stale_not_a_crash():
    timestamp = "9" * 5000
    with pytest.raises(CallbackRejected) as refused:
        _verify(_headers(v2_signature(timestamp, "n0nce", "ek", BODY), timestamp=timestamp))
    assert refused.value.status == 401


def test_zero_tolerance_disables_the_window():
    timestamp = "1"
    _verify(_headers(v2_signature(timestamp, "n0nce", "ek", BODY), timestamp=timestamp), tolerance=0)


@pytest.mark.parametrize("timestamp", ["-5", "1.5", "١٢٣", "tomorrow"])
def test_timestamps_naming_no_time_are_opaque(timestamp):
    _verify(_headers(v2_signature(timestamp, "n0nce", "ek", BODY), timestamp=timestamp))


def test_http_date_timestamps_are_window_checked():
    stale = "Monday, 14-Nov-22 15:53:37 CST"
    with pytest.raises(CallbackRejected, match="stale"):
        _verify(_headers(v2_signature(stale, "n0nce", "ek", BODY), timestamp=stale))
    assert request_time(stale) == 1668412417.0  # CST is +08:00: 07:53:37 UTC


def test_constant_time_equal():
    assert constant_time_equal("vt", "vt")
    assert constant_time_equal("令牌", "令牌")
    assert not constant_time_equal("vt", "vT")
    assert not constant_time_equal(None, "vt")
    assert not constant_time_equal(["vt"], "vt")
