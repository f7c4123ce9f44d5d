"""Decrypt Lark's `{"encrypt": "..."}` bodies (AES-256-CBC, key = SHA-256 of the Encrypt Key)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import CallbackRejected

_BLOCK = 16
UNDECRYPTABLE = "cannot decrypt the body"
"""The one reason given for every decryption failure (no padding oracle)."""


@lru_cache(maxsize=8)
def _aes_key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def decrypt(encrypted: str, encrypt_key: str) -> bytes:
    """Return the plaintext of `encrypted` = base64(iv ‖ AES-256-CBC ciphertext, PKCS7).

    Every failure (bad base64, bad length, bad padding, wrong key) raises the same
    `CallbackRejected(400, UNDECRYPTABLE)`, so a caller cannot become a padding oracle.
    """
    try:
        raw = base64.b64decode(encrypted, validate=True)
        if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
            raise ValueError("bad ciphertext length")
        decryptor = Cipher(algorithms.AES(_aes_key(encrypt_key)), modes.CBC(raw[:_BLOCK])).decryptor()
        padded = decryptor.update(raw[_BLOCK:]) + decryptor.finalize()
        unpadder = padding.PKCS7(8 * _BLOCK).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except (ValueError, TypeError):  # binascii.Error and UnicodeError are ValueErrors
        raise CallbackRejected(400, UNDECRYPTABLE) from None
