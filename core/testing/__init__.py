"""Test helpers for cardbot and its plugins.

- `LarkCallbacks` builds callback requests exactly as Lark sends them (real AES, real signatures);
- `BotServer` runs the real server as a process with its own plugins.toml and database;
- `FakeLarkPlatform` plays the Lark open platform (tokens, send, updates) on loopback.
"""

from .callbacks import LarkCallbacks, Request, encrypt, signature_headers
from .lark_platform import FakeLarkPlatform
from .server import BotServer, CliResult, free_port

__all__ = ["BotServer", "CliResult", "FakeLarkPlatform", "LarkCallbacks", "Request", "encrypt", "free_port", "signature_headers"]
