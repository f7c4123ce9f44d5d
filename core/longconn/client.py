"""`LongConnection`: receive callbacks and events over Lark's WebSocket instead of the callback URL, and feed
them through the same journey (receiving.py), with the same dedupe.

    connection = LongConnection(secrets, handle)      # handle(payload bytes) -> the answer's JSON, or None
    task = asyncio.create_task(connection.run())      # connects, pings, answers, reconnects until stopped
    connection.state                                  # "connected" or "reconnecting" (for /healthz)
    await connection.stop()

The connection is authenticated by the endpoint request (the app's id and secret), so its payloads are
plain JSON with no signature or timestamp to check; a redelivery has the same event id and runs nothing twice.
A data frame is answered by sending the same frame back with the payload `{"code": 200, "headers": {...},
"data": base64(answer)}` (no `data` for an event), `{"code": 500}` when cardbot failed. A connection that
ends in any way (a clean close, a cut TCP stream, no pong for two ping intervals) is opened again after the
configured interval (plus a random jitter of up to ReconnectNonce seconds before the first try).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from ..config import LarkSecrets
from ..jsoncodec import dumps_bytes, loads
from ..receiving import Reply
from .endpoint import (AUTH_FAILED, EXCEED_CONN_LIMIT, FORBIDDEN, MEANINGS, ClientConfig, Endpoint, Refused,
                       Unavailable, fetch_endpoint)
from .frames import (BIZ_RT, CONTROL, DATA, MESSAGE_ID, PONG, SEQ, SUM, TYPE, FrameError, control_frame, header,
                     parse_frame, set_header)

log = logging.getLogger("cardbot.longconn")
CONNECTED, RECONNECTING = "connected", "reconnecting"
PARTS_SECONDS = 5.0
"""How long the parts of a split payload wait for the rest (as the official SDK does)."""

Handler = Callable[[bytes], Awaitable[Reply]]
"""Answers one payload: its Reply, whose body is the answer's JSON (a click's card and toast, a preview) or None
(an event: an empty answer), and whose `then()` runs once the answer is sent. It may raise: the frame is then
answered with code 500."""


class LongConnection:
    """One long connection of one worker process (see the module docstring)."""

    def __init__(self, secrets: LarkSecrets, handle: Handler, *, open_timeout: float = 10.0) -> None:
        self._secrets = secrets
        self._handle = handle
        self._open_timeout = open_timeout
        self._config = ClientConfig()
        self._socket: ClientConnection | None = None
        self._stopping = False
        self._parts: dict[str, tuple[float, list[bytes | None]]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._last_heard = 0.0
        self.state = RECONNECTING

    def check(self) -> Endpoint:
        """Ask for an endpoint once, blocking (start-up): Refused stops it, Unavailable is only a warning."""
        return fetch_endpoint(self._secrets.api_base, self._secrets.app_id, self._secrets.app_secret)

    async def run(self) -> None:
        """Connect, serve, reconnect, until `stop`. Raises Refused when Lark refuses for good."""
        attempt = 0
        while not self._stopping:
            try:
                endpoint = await asyncio.to_thread(fetch_endpoint, self._secrets.api_base, self._secrets.app_id,
                                                   self._secrets.app_secret, config=self._config)
                self._config = endpoint.config
                await self._serve(endpoint)
                attempt = 0
            except Refused:
                raise
            except (Unavailable, OSError, websockets.WebSocketException, TimeoutError) as error:
                log.warning("the long connection is down: %s", _plain(error))
            if self._stopping:
                break
            self.state = RECONNECTING
            attempt += 1
            if 0 <= self._config.reconnect_count < attempt:
                log.error("the long connection failed %d times (ReconnectCount); it keeps trying every %g s",
                          attempt - 1, self._config.reconnect_interval)
            await asyncio.sleep(self._wait_before(attempt))

    def _wait_before(self, attempt: int) -> float:
        """The configured interval, and before the first try a random jitter of up to ReconnectNonce seconds."""
        jitter = random.random() * self._config.reconnect_nonce if attempt == 1 else 0.0
        return jitter + (self._config.reconnect_interval if attempt > 1 else 0.0)

    async def _serve(self, endpoint: Endpoint) -> None:
        try:
            socket = await connect(endpoint.url, open_timeout=self._open_timeout, ping_interval=None,
                                   max_size=None)
        except InvalidStatus as refused:
            raise _handshake_error(refused) from None
        self._socket = socket
        self.state = CONNECTED
        self._last_heard = time.monotonic()
        log.info("long connection open (device %s, service %s)", endpoint.device_id, endpoint.service_id)
        pinging = asyncio.create_task(self._ping(socket, endpoint.service_id))
        try:
            async for message in socket:
                self._last_heard = time.monotonic()
                if isinstance(message, bytes):
                    self._received(socket, message)
        finally:
            pinging.cancel()
            self._socket = None
            log.info("long connection closed (code %s%s)", socket.close_code,
                     f", {socket.close_reason}" if socket.close_reason else "")

    async def _ping(self, socket: ClientConnection, service_id: int) -> None:
        """Ping every PingInterval; close the connection when nothing came back for two intervals."""
        while True:
            interval = self._config.ping_interval
            await socket.send(control_frame("ping", service_id).SerializeToString())
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_heard > 2 * interval:
                log.warning("the long connection heard nothing for %g s (no pong): reconnecting", 2 * interval)
                await socket.close(1011, "no pong")
                return

    def _received(self, socket: ClientConnection, message: bytes) -> None:
        try:
            frame = parse_frame(message)
        except FrameError as error:
            log.warning("long connection: a message that is no frame (%s); ignored", error)
            return
        if frame.method == CONTROL:
            if header(frame, TYPE) == PONG and frame.payload:
                self._configure(frame.payload)
            return
        if frame.method == DATA:
            payload = self._reassembled(frame)
            if payload is not None:
                task = asyncio.create_task(self._answer(socket, frame, payload))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _configure(self, payload: bytes) -> None:
        try:
            self._config = self._config.updated(loads(payload))
        except ValueError:
            log.warning("long connection: a pong whose config is not JSON; ignored")
            return
        log.debug("long connection config: %s", self._config)

    def _reassembled(self, frame: Any) -> bytes | None:
        """The whole payload once every part of it has come (None until then); a lone frame is whole."""
        total, seq = _number(header(frame, SUM), 1), _number(header(frame, SEQ), 0)
        message_id = header(frame, MESSAGE_ID)
        if total <= 1:
            return bytes(frame.payload)
        now = time.monotonic()
        self._parts = {key: value for key, value in self._parts.items() if now - value[0] < PARTS_SECONDS}
        key = message_id or ""
        started, parts = self._parts.setdefault(key, (now, [None] * total))
        if len(parts) != total or not 0 <= seq < total:
            log.warning("long connection: part %d of %d of message %s does not fit; dropped", seq, total, key)
            return None
        parts[seq] = bytes(frame.payload)
        if any(part is None for part in parts):
            return None
        del self._parts[key]
        return b"".join(part for part in parts if part is not None)

    async def _answer(self, socket: ClientConnection, frame: Any, payload: bytes) -> None:
        started = time.monotonic()
        reply: Reply | None = None
        try:
            reply = await self._handle(payload)
            response: dict[str, Any] = {"code": 200, "headers": {}}
            if reply.body is not None:
                response["data"] = base64.b64encode(dumps_bytes(reply.body)).decode("ascii")
        except Exception:  # noqa: BLE001 - the frame still gets its answer; the failure is logged
            log.exception("long connection: message %s failed inside cardbot", header(frame, MESSAGE_ID))
            response = {"code": 500}
        set_header(frame, BIZ_RT, str(int((time.monotonic() - started) * 1000)))
        frame.payload = dumps_bytes(response)
        try:
            await socket.send(frame.SerializeToString())
        except websockets.ConnectionClosed:
            log.warning("long connection: message %s answered after the connection closed; Lark sends it again",
                        header(frame, MESSAGE_ID))
        finally:
            if reply is not None:
                reply.then()

    async def stop(self) -> None:
        """Close the connection; answers still being worked out are given a moment."""
        self._stopping = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=3.0)
        if self._socket is not None:
            await self._socket.close()


def _number(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _handshake_error(refused: InvalidStatus) -> Exception:
    """A refused WebSocket upgrade: Refused when forbidden or over the connection limit (as the official SDK
    decides), Unavailable otherwise (an authentication hiccup is tried again)."""
    headers = refused.response.headers
    status, message = headers.get("handshake-status"), headers.get("handshake-msg") or ""
    auth_code = headers.get("handshake-autherrcode")
    code = _number(status, 0)
    detail = f"the gateway refused the connection: code {status or refused.response.status_code} {message}".strip()
    if code == AUTH_FAILED and _number(auth_code, 0) == EXCEED_CONN_LIMIT:
        return Refused(f"{detail} ({MEANINGS[EXCEED_CONN_LIMIT]})")
    if code == FORBIDDEN:
        return Refused(f"{detail} ({MEANINGS[FORBIDDEN]})")
    return Unavailable(detail)


def _plain(error: BaseException) -> str:
    return str(error) or type(error).__name__

