"""The test kit builds what Lark sends: shapes, secrets, headers (checked against the docs' examples)."""

import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from cardbot.testing import LarkCallbacks, encrypt, signature_headers

KIT = LarkCallbacks(verification_token="vt", encrypt_key="ek", app_id="cli_1", tenant_key="tk_1")


def _decrypt(encrypted: str, key: str) -> dict:
    raw = base64.b64decode(encrypted)
    aes = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(raw[:16])).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(aes.update(raw[16:]) + aes.finalize()) + unpadder.finalize())


def _payload(body: bytes) -> dict:
    outer = json.loads(body)
    return _decrypt(outer["encrypt"], "ek") if set(outer) == {"encrypt"} else outer


def test_encrypt_is_aes_256_cbc_with_a_prefixed_iv():
    iv = bytes(range(16))
    assert encrypt("hello world", "test key", iv=iv) == encrypt("hello world", "test key", iv=iv)
    assert encrypt("hello world", "test key") != encrypt("hello world", "test key")
    assert base64.b64decode(encrypt("hello world", "test key", iv=iv))[:16] == iv
    assert _decrypt(encrypt('{"a": "飞书"}', "k"), "k") == {"a": "飞书"}


def test_signature_headers():
    headers = signature_headers(b"{}", "ek", timestamp="1700000000", nonce="n")
    assert headers == {
        "X-Lark-Request-Timestamp": "1700000000",
        "X-Lark-Request-Nonce": "n",
        "X-Lark-Signature": hashlib.sha256(b"1700000000nek{}").hexdigest(),
    }
    legacy = signature_headers(b"{}", "vt", legacy=True, timestamp="1", nonce="n")
    assert legacy["X-Lark-Signature"] == hashlib.sha1(b"1nvt{}").hexdigest()
    assert abs(int(signature_headers(b"", "k")["X-Lark-Request-Timestamp"]) - time.time()) < 60


def test_card_action_trigger_payload():
    body, headers = KIT.card_action_trigger(
        message_id="om_1", open_id="ou_1", value={"k": "v"}, event_id="ev_1", update_token="c-1", name="btn"
    )
    assert set(json.loads(body)) == {"encrypt"}
    assert headers["Content-Type"] == "application/json"
    expected = hashlib.sha256(
        (headers["X-Lark-Request-Timestamp"] + headers["X-Lark-Request-Nonce"] + "ek").encode() + body
    ).hexdigest()
    assert headers["X-Lark-Signature"] == expected
    payload = _payload(body)
    header = payload["header"]
    assert payload["schema"] == "2.0"
    assert header | {"create_time": None} == {
        "event_id": "ev_1", "token": "vt", "create_time": None, "event_type": "card.action.trigger",
        "tenant_key": "tk_1", "app_id": "cli_1",
    }
    assert abs(int(header["create_time"]) / 1e6 - time.time()) < 60
    event = payload["event"]
    assert event["operator"]["open_id"] == "ou_1" and event["operator"]["tenant_key"] == "tk_1"
    assert event["operator"]["union_id"].startswith("on_") and event["operator"]["user_id"]
    assert event["token"] == "c-1" and event["host"] == "im_message"
    assert event["action"] == {"value": {"k": "v"}, "tag": "button", "name": "btn"}
    assert event["context"]["open_message_id"] == "om_1"
    assert event["context"]["open_chat_id"].startswith("oc_")


def test_random_ids_differ_per_callback():
    first, second = (_payload(KIT.card_action_trigger()[0]) for _ in range(2))
    assert first["header"]["event_id"] != second["header"]["event_id"]
    assert first["event"]["token"].startswith("c-") and first["event"]["token"] != second["event"]["token"]


def test_defaults_follow_the_secrets():
    plain = LarkCallbacks(verification_token="vt")
    body, headers = plain.card_action_trigger()
    assert json.loads(body)["header"]["token"] == "vt" and "X-Lark-Signature" not in headers
    body, headers = plain.legacy_card_action()
    assert "X-Lark-Signature" in headers
    keyed = LarkCallbacks(encrypt_key="ek")
    assert "X-Lark-Signature" not in keyed.legacy_card_action()[1]
    assert _payload(keyed.url_verification()[0])["token"]  # Lark always has a token; the server may not


@pytest.mark.parametrize(
    "build",
    [
        lambda kit: kit.card_action_trigger(encrypt=True),
        lambda kit: kit.card_action_trigger(sign=True),
        lambda kit: kit.legacy_card_action(sign=True),
        lambda kit: kit.url_verification(encrypt=True),
    ],
)
def test_asking_for_a_missing_secret_is_an_error(build):
    with pytest.raises(ValueError):
        build(LarkCallbacks())


def test_legacy_card_action_payload():
    body, headers = KIT.legacy_card_action(
        message_id="om_1", open_id="ou_1", value={"k": "v"}, refresh_token="r-1", update_token="c-1",
        timestamp="Monday, 14-Nov-22 15:53:37 CST",
    )
    assert json.loads(body) == {
        "open_id": "ou_1", "user_id": "867g1b2c", "open_message_id": "om_1",
        "open_chat_id": "oc_e4d2605ca917e695f54f11aaf56", "tenant_key": "tk_1", "token": "c-1",
        "action": {"value": {"k": "v"}, "tag": "button"},
    }
    assert headers["X-Refresh-Token"] == "r-1"
    signed = (headers["X-Lark-Request-Timestamp"] + headers["X-Lark-Request-Nonce"] + "vt").encode() + body
    assert headers["X-Lark-Signature"] == hashlib.sha1(signed).hexdigest()


def test_url_verification_payload():
    body, headers = KIT.url_verification("ch-1", encrypt=False)
    assert json.loads(body) == {"challenge": "ch-1", "token": "vt", "type": "url_verification"}
    assert not any(name.startswith("X-Lark") for name in headers)
    assert _payload(KIT.url_verification("ch-2")[0])["challenge"] == "ch-2"


def test_event_payload():
    payload = _payload(KIT.event("url.preview.get", {"context": {"url": "https://x"}})[0])
    assert payload["header"]["event_type"] == "url.preview.get"
    assert payload["event"] == {"context": {"url": "https://x"}}


def test_value_none_sends_no_value():
    assert "value" not in _payload(KIT.card_action_trigger(value=None)[0])["event"]["action"]
