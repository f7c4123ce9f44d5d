"""AES-256-CBC decryption of `{"encrypt": ...}` bodies: the official vector and one uniform error."""

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from cardbot.errors import CallbackRejected
from cardbot.protocol import decrypt
from cardbot.testing import encrypt

VECTOR = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="


def _raw_cbc(plaintext_blocks: bytes, key: str) -> str:
    """Encrypt without padding, so the test controls the padding bytes."""
    iv = bytes(range(16))
    aes = Cipher(algorithms.AES(hashlib.sha256(key.encode()).digest()), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + aes.update(plaintext_blocks) + aes.finalize()).decode()


def test_official_vector():
    assert decrypt(VECTOR, "test key") == b"hello world"


@pytest.mark.parametrize("text", ["", "a", "x" * 15, "y" * 16, "z" * 33, '{"k":"飞书 ✓"}'])
def test_round_trip_with_the_kit(text):
    assert decrypt(encrypt(text, "ek"), "ek") == text.encode("utf-8")


@pytest.mark.parametrize(
    "encrypted, key",
    [
        pytest.param("not base64!", "test key", id="not-base64"),
        pytest.param(VECTOR[:-1], "test key", id="bad-base64-padding"),
        pytest.param(VECTOR[:10] + "\n" + VECTOR[10:], "test key", id="whitespace-in-base64"),
        pytest.param("P37w+VZImNgPEO1RBhJ6Rt飞", "test key", id="non-ascii"),
        pytest.param("", "test key", id="empty"),
        pytest.param(base64.b64encode(bytes(16)).decode(), "test key", id="iv-only"),
        pytest.param(base64.b64encode(bytes(40)).decode(), "test key", id="not-block-aligned"),
        pytest.param(VECTOR, "wrong key", id="wrong-key"),
        pytest.param(_raw_cbc(b"hello world" + bytes(5), "k"), "k", id="zero-padding"),
        pytest.param(_raw_cbc(b"hello world" + bytes([5, 5, 5, 5, 4]), "k"), "k", id="inconsistent-padding"),
        pytest.param(_raw_cbc(b"a" * 16 + bytes([17]) * 16, "k"), "k", id="padding-over-block"),
    ],
)
def test_every_failure_is_the_same_400(encrypted, key):
    with pytest.raises(CallbackRejected) as refused:
        decrypt(encrypted, key)
    assert (refused.value.status, refused.value.reason) == (400, "cannot decrypt the body")
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_valid_full_block_padding_is_accepted():
    assert decrypt(_raw_cbc(b"a" * 16 + bytes([16]) * 16, "k"), "k") == b"a" * 16
