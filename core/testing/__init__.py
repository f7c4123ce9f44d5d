"""Test helpers for cardbot and its plugins: `LarkCallbacks` builds requests exactly as Lark sends them."""

from .callbacks import LarkCallbacks, Request, encrypt, signature_headers

__all__ = ["LarkCallbacks", "Request", "encrypt", "signature_headers"]
