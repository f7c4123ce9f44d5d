"""Test helpers for cardbot and its plugins.

- `LarkCallbacks` builds callback requests exactly as Lark sends them (real AES, real signatures);
- `BotServer` runs the real server as a process with its own plugins.toml and database;
- `FakeLarkPlatform` plays the Lark open platform (tokens, sends and replies, updates, bot info, link-preview
  refreshes) on loopback;
- `FakeLarkGateway` plays Lark's long-connection gateway (the endpoint, WebSocket frames) on loopback.
"""

from .callbacks import LarkCallbacks, Request, encrypt, signature_headers
from .lark_platform import FakeLarkPlatform
from .long_gateway import FakeLarkGateway
from .server import BotServer, CliResult, free_port

__all__ = ["BotServer", "CliResult", "FakeLarkGateway", "FakeLarkPlatform", "LarkCallbacks", "Request", "encrypt",
           "free_port", "signature_headers"]
