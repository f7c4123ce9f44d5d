"""What the callback URL refuses, and that a refusal is a clear 4xx that changes nothing stored."""

from __future__ import annotations

import base64
import json
import time

import pytest

from cardbot.testing import LarkCallbacks, encrypt, signature_headers
from cardbot.web.guard import is_loopback
from support import (ENCRYPT_KEY, SEED_BUTTON, STANDARD_CONFIG, VERIFICATION_TOKEN, database_snapshot, start_server,
                      new_message_id, put_card, seed_card)

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_url_verification_echoes_the_challenge(bot, kit, encrypted):
    body, headers = kit.url_verification("challenge-42", encrypt=encrypted)
    assert "X-Lark-Signature" not in headers  # Lark signs no handshake; none is required
    response = bot.post("/lark/callback", body, headers)
    assert response.status_code == 200
    assert response.json() == {"challenge": "challenge-42"}


def test_url_verification_with_the_wrong_token_is_refused(bot):
    impostor = LarkCallbacks("not-the-token", ENCRYPT_KEY)
    response = bot.post("/lark/callback", *impostor.url_verification("c", encrypt=False))
    assert response.status_code == 403
    assert response.json() == {"error": "wrong verification token"}


def _signed_v2(body: bytes, **kwargs) -> dict:
    return {**JSON, **signature_headers(body, ENCRYPT_KEY, **kwargs)}


def _bad_requests(kit: LarkCallbacks, message_id: str) -> dict[str, tuple[bytes, dict, int]]:
    """Every kind of bad input the brief names, each with the status it must get."""
    click = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    legacy = kit.legacy_card_action(message_id=message_id, value=SEED_BUTTON)
    tampered = click[0].replace(b'"encrypt":"', b'"encrypt":"A')
    wrong_key = json.dumps({"encrypt": encrypt(json.dumps({"schema": "2.0"}), "another-key")}).encode()
    bad_base64 = b'{"encrypt":"%%%not base64%%%"}'
    impostor = LarkCallbacks("wrong-token", ENCRYPT_KEY).card_action_trigger(message_id=message_id,
                                                                             value=SEED_BUTTON)
    stale = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON,
                                    timestamp=str(int(time.time()) - 3600))
    no_fields = encrypt(json.dumps({"schema": "2.0", "header": {"event_type": "card.action.trigger",
                                                                "token": VERIFICATION_TOKEN, "event_id": "e"},
                                    "event": {}}), ENCRYPT_KEY)
    no_fields_body = json.dumps({"encrypt": no_fields}).encode()
    return {
        "malformed json": (b'{"encrypt": ', JSON, 400),
        "json array": (b"[1, 2, 3]", JSON, 400),
        "json string": (b'"hello"', JSON, 400),
        "not json content type": (click[0], {**click[1], "Content-Type": "text/plain"}, 415),
        "empty body": (b"", JSON, 400),
        "bad base64": (bad_base64, _signed_v2(bad_base64), 400),
        "wrong encrypt key": (wrong_key, _signed_v2(wrong_key), 400),
        "tampered ciphertext": (tampered, click[1], 401),
        "tampered ciphertext, re-signed": (tampered, _signed_v2(tampered), 400),
        "missing signature": (click[0], JSON, 401),
        "wrong signature": (click[0], {**click[1], "X-Lark-Signature": "0" * 64}, 401),
        "legacy wrong signature": (legacy[0], {**legacy[1], "X-Lark-Signature": "0" * 40}, 401),
        "legacy unsigned": (legacy[0], JSON, 401),
        "wrong verification token": (*impostor, 403),
        "stale timestamp": (*stale, 401),
        "missing fields": (no_fields_body, _signed_v2(no_fields_body), 400),
        "deeply nested": (b"[" * 100_000 + b"]" * 100_000, JSON, 400),
        "oversized": (b'{"a":"' + b"x" * (1024 * 1024 + 10) + b'"}', JSON, 413),
    }


def test_every_bad_input_gets_a_4xx_with_a_reason_and_changes_nothing(bot, kit):
    message_id = new_message_id()
    put_card(bot, message_id, seed_card())
    before = database_snapshot(bot)
    refused = []

    for name, (body, headers, status) in _bad_requests(kit, message_id).items():
        response = bot.post("/lark/callback", body, headers)
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"].startswith("application/json"), name
        reason = response.json()["error"]
        assert reason and "Traceback" not in reason, name
        refused.append((status, reason))

    assert database_snapshot(bot) == before
    assert "Traceback" not in bot.log()
    wait_for_log(bot, [f"refused POST /lark/callback from 127.0.0.1: {status} {reason}" for status, reason in refused])


def test_a_server_without_secrets_refuses_callbacks_and_says_why(server_factory, kit):
    server = server_factory(STANDARD_CONFIG, env={})
    assert "every callback will be REFUSED" in server.log()
    response = server.post("/lark/callback", *kit.url_verification("c", encrypt=False))
    assert response.status_code == 403
    assert "LARK_VERIFICATION_TOKEN" in response.json()["error"] and "--dev" in response.json()["error"]


def test_dev_mode_accepts_unsigned_callbacks_from_loopback(server_factory):
    server = server_factory(STANDARD_CONFIG, env={}, dev=True)
    assert "DEVELOPMENT MODE" in server.log()
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    unsigned = LarkCallbacks()  # no secrets: nothing encrypted, nothing signed
    body, headers = unsigned.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 200
    assert response.json()["toast"]["content"] == "已完成"


def wait_for_log(server, lines: list[str], seconds: float = 10.0) -> None:
    """Every line appears in the server's log (it is written by another process, so allow it a moment)."""
    deadline = time.monotonic() + seconds
    while (missing := [line for line in lines if line not in server.log()]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not missing, f"not logged: {missing}"


def test_dev_can_be_switched_on_in_plugins_toml(server_factory):
    server = server_factory(STANDARD_CONFIG.replace("[bot]\n", "[bot]\ndev = true\n", 1), env={})
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    response = server.post("/lark/callback", *LarkCallbacks().card_action_trigger(message_id=message_id,
                                                                                 value=SEED_BUTTON))
    assert (response.status_code, response.json()["toast"]["content"]) == (200, "已完成")


@pytest.mark.parametrize("address, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("::ffff:127.0.0.1", True),
    ("10.0.0.1", False), ("192.168.1.2", False), ("::ffff:10.0.0.1", False), ("2001:db8::1", False),
    ("", False), ("localhost", False), ("garbage", False),
])
def test_what_counts_as_loopback_for_dev_mode(address, loopback):
    assert is_loopback(address) is loopback


def test_the_timestamp_window_is_configurable(server_factory, kit):
    server = server_factory(STANDARD_CONFIG.replace("[bot]\n", "[bot]\ntimestamp_tolerance = 7200\n", 1))
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    hour_old = str(int(time.time()) - 3600)  # refused by the default 300 s window
    response = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON,
                                                                      timestamp=hour_old))
    assert (response.status_code, response.json()["toast"]["content"]) == (200, "已完成")


def test_encrypted_bodies_hold_only_base64(bot):
    body = json.dumps({"encrypt": base64.b64encode(b"short").decode()}).encode()
    response = bot.post("/lark/callback", body, _signed_v2(body))
    assert (response.status_code, response.json()) == (400, {"error": "cannot decrypt the body"})


def _encrypted_body(plaintext: bytes) -> bytes:
    return json.dumps({"encrypt": encrypt(plaintext.decode(), ENCRYPT_KEY)}).encode()


@pytest.mark.parametrize("plaintext", [
    b'{"schema": "1.0"}',
    b'{"schema": "2.0"}',
    b'{"schema": "2.0", "header": {"event_type": "card.action.trigger"}, "event": {}}',
    b'{"anything": 1}',
    b'{"action": {}, "open_message_id": "om_1"}',
    b'{"uuid": "u", "event": {"type": "message"}, "token": "nope"}',
    b'{"type": "url_verification_not"}',
], ids=["schema 1.0", "schema 2.0 bare", "trigger without fields", "no shape", "legacy shape", "v1 event",
        "near challenge"])
def test_an_unsigned_encrypted_object_gets_one_answer_whatever_it_holds(bot, plaintext):
    """No structure oracle: every JSON object that is not a url_verification gets the same 401."""
    response = bot.post("/lark/callback", _encrypted_body(plaintext), JSON)
    assert (response.status_code, response.json()) == (401, {"error": "missing X-Lark-Signature"})


@pytest.mark.parametrize("plaintext", [b"[1, 2]", b'"text"', b"not json", b"{"],
                         ids=["array", "string", "not json", "cut short"])
def test_an_unsigned_encrypted_non_object_cannot_be_decrypted(bot, plaintext):
    response = bot.post("/lark/callback", _encrypted_body(plaintext), JSON)
    assert (response.status_code, response.json()) == (400, {"error": "cannot decrypt the body"})


@pytest.mark.parametrize("header, value", [
    ("X-Forwarded-For", "203.0.113.9"),
    ("X-Forwarded-For", "127.0.0.1, 203.0.113.9"),
    ("Forwarded", 'for="[2001:db8::1]:4711";proto=https'),
    ("Forwarded", "for=unknown"),
    ("X-Real-IP", "10.1.2.3"),
    ("True-Client-IP", "198.51.100.7"),
    ("CF-Connecting-IP", "198.51.100.7"),
])
def test_dev_mode_refuses_callbacks_a_proxy_forwarded_for_another_client(dev_server, header, value):
    message_id = new_message_id()
    put_card(dev_server, message_id, seed_card())
    body, headers = LarkCallbacks().card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    before = database_snapshot(dev_server)
    response = dev_server.post("/lark/callback", body, {**headers, header: value})
    assert response.status_code == 403
    assert response.json()["error"].startswith("--dev accepts unsigned callbacks from loopback only")
    assert database_snapshot(dev_server) == before


@pytest.mark.parametrize("header, value", [
    ("X-Forwarded-For", "127.0.0.1"), ("Forwarded", "for=127.0.0.1:5000"), ("X-Real-IP", "::1"),
])
def test_dev_mode_accepts_callbacks_forwarded_for_this_machine(dev_server, header, value):
    message_id = new_message_id()
    put_card(dev_server, message_id, seed_card())
    body, headers = LarkCallbacks().card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    response = dev_server.post("/lark/callback", body, {**headers, header: value})
    assert (response.status_code, response.json()["toast"]["content"]) == (200, "已完成")


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("dev"), STANDARD_CONFIG, env={}, dev=True)
    yield server
    server.stop()
