"""Test helpers for cardbot and its plugins.

- `LarkCallbacks` builds callback requests exactly as Lark sends them (real AES, real signatures);
- `BotServer` runs the real server as a process with its own plugins.toml and database;
- `FakeLarkPlatform` plays the Lark open platform (tokens, sends and replies, updates, bot info, link-preview
  refreshes) on loopback;
- `Harness` runs plugins in the test's own process through cardbot's real click, message and timer paths;
- `FakeLarkGateway` plays Lark's long-connection gateway (the endpoint, WebSocket frames) on loopback.
"""

from .callbacks import LarkCallbacks, Request, encrypt, signature_headers
from .components import ClickNotPossible, Component, NoSuchComponent, click_action, find_component
from .harness import ClickResult, Harness, MessageResult
from .lark_platform import FakeLarkPlatform
from .long_gateway import FakeLarkGateway
from .server import BotServer, CliResult, free_port

__all__ = ["BotServer", "ClickNotPossible", "ClickResult", "CliResult", "Component", "FakeLarkGateway",
           "FakeLarkPlatform", "Harness", "LarkCallbacks", "MessageResult", "NoSuchComponent", "Request", "click_action",
           "encrypt", "find_component", "free_port", "signature_headers"]
