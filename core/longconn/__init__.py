"""Lark's long connection: callbacks and events over a WebSocket the bot opens, for a bot with no public URL."""

from .client import CONNECTED, RECONNECTING, LongConnection
from .endpoint import ClientConfig, Endpoint, Refused, Unavailable, fetch_endpoint

__all__ = ["CONNECTED", "RECONNECTING", "ClientConfig", "Endpoint", "LongConnection", "Refused", "Unavailable",
           "fetch_endpoint"]
