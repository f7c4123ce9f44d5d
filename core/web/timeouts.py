"""Sanic's timeouts, set on purpose: a client too slow to send its request gets 408 within
`[bot] request_timeout`, and no handler that can still finish is cut off.

    set_timeouts(app, config.bot)

Sanic (25.12) times the request headers with REQUEST_TIMEOUT, but once the headers are in, the body is
read inside the handler stage, which only RESPONSE_TIMEOUT covers: a body that never completes would
be answered 503 after 60 s. `TimedRequest` reads the body under its own deadline instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import Request, Sanic
from sanic.exceptions import RequestTimeout
from sanic.http import Http

from ..config import BotSettings

RESPONSE_MARGIN = 30.0
"""RESPONSE_TIMEOUT is `[bot] hard_limit` plus this: a click is answered by `deadline` and cut off at
`hard_limit`, and a send through `POST /api/cards` ends with the Lark client's retry budget (< 60 s)."""


class TimedRequest(Request):
    """A Request whose body must arrive in full within REQUEST_TIMEOUT seconds of its headers."""

    async def receive_body(self) -> None:
        """Read the whole body, or raise RequestTimeout (408) when the client stops short."""
        if _fully_buffered(self.stream):  # the usual case: the body came with the headers, no timer needed
            await super().receive_body()
            return
        seconds = self.app.config.REQUEST_TIMEOUT
        try:
            async with asyncio.timeout(seconds):
                await super().receive_body()
        except TimeoutError:
            # close the connection once the 408 is out, without waiting for the rest of the body (which
            # Sanic would otherwise drain until its keep-alive timeout) or reading it as a next request
            stream: Any = self.stream
            stream.keep_alive = False
            stream.request_body = None
            raise RequestTimeout(f"the request body did not arrive within {seconds:g} s") from None


def _fully_buffered(stream: Any) -> bool:
    """True when a fixed-length body is already all in Sanic's receive buffer (reading it cannot stall)."""
    return (isinstance(stream, Http) and stream.request_body is True
            and len(stream.recv_buffer) >= (stream.request_bytes_left or 0))


def set_timeouts(app: Sanic, settings: BotSettings) -> None:
    """Time requests (headers, then the body) with `request_timeout` and handlers with hard_limit + margin."""
    app.request_class = TimedRequest
    app.config.REQUEST_TIMEOUT = settings.request_timeout
    app.config.RESPONSE_TIMEOUT = settings.hard_limit + RESPONSE_MARGIN
