"""A local stand-in for Lark's long-connection gateway: the endpoint answer and a WebSocket server that speaks
Lark's frames (pings and pongs, data frames, split payloads, dropped connections), for tests of bots on the
long connection.

    with FakeLarkGateway(ping_interval=1) as gateway, FakeLarkPlatform(gateway=gateway) as lark:
        ...                                          # a bot with LARK_API_BASE=lark.base_url connects
        gateway.wait_for_connections(1)
        answer = gateway.send({"schema": "2.0", ...})   # {"code": 200, "data": {...}, ...}

Built from the official SDK's client (larksuite/oapi-sdk-python lark_oapi/ws/client.py) and Lark's docs; it
imports nothing from cardbot but the frame codec, which the SDK's compiled schema checks
(tests/unit/test_longconn_frames.py).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
from concurrent.futures import Future
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ..longconn.frames import CONTROL, DATA, EVENT, PING, PONG, control_frame, data_frame, header, parse_frame

AUTH_FAILED = 514


class FakeLarkGateway:
    """The gateway of one app on `ws://127.0.0.1:<free port>/ws` inside `with`; thread-safe."""

    def __init__(self, app_id: str = "cli_test", app_secret: str = "secret", *, ping_interval: float = 120,
                 reconnect_interval: float = 120, reconnect_nonce: float = 30, reconnect_count: int = -1,
                 max_connections: int = 50) -> None:
        self.app_id, self.app_secret, self.max_connections = app_id, app_secret, max_connections
        self.client_config = {"ReconnectCount": reconnect_count, "ReconnectInterval": reconnect_interval,
                              "ReconnectNonce": reconnect_nonce, "PingInterval": ping_interval}
        self.pings: list[float] = []
        self.endpoint_requests = 0
        self.opened = 0
        """Connections opened so far (a reconnect makes it grow)."""
        self.stop_answering_pings = False
        self.pong_config: dict | None = None
        self._refusals: list[tuple[str, str, str]] = []
        self._sockets: list[ServerConnection] = []
        self._answers: dict[str, Future] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> FakeLarkGateway:
        started: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(started,), name="fake-lark-gateway", daemon=True)
        self._thread.start()
        started.result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close_server(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self, started: Future) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._server = self._loop.run_until_complete(self._start())
            started.set_result(None)
            self._loop.run_forever()
        finally:
            self._loop.close()

    async def _start(self) -> Server:
        return await serve(self._serve, "127.0.0.1", 0, ping_interval=None, process_request=self._handshake,
                           max_size=None)

    async def _close_server(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def ws_url(self) -> str:
        """The WebSocket URL the endpoint hands out (without its query)."""
        if self._server is None:
            raise RuntimeError("FakeLarkGateway is not running: use it in a `with` block")
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws"

    # -- the endpoint --------------------------------------------------------------------------------

    def endpoint(self, body: Any) -> dict:
        """The answer to `POST /callback/ws/endpoint` with `body` ({"AppID", "AppSecret"})."""
        with self._lock:
            self.endpoint_requests += 1
        if not isinstance(body, dict) or body.get("AppID") != self.app_id or body.get("AppSecret") != self.app_secret:
            return {"code": AUTH_FAILED, "msg": "auth failed: app_id or app_secret is wrong"}
        device = f"d{next(self._ids)}"
        return {"code": 0, "msg": "ok", "data": {"URL": f"{self.ws_url}?device_id={device}&service_id=1",
                                                 "ClientConfig": dict(self.client_config)}}

    def refuse_next_handshakes(self, times: int = 1, *, status: str = "514", msg: str = "auth failed",
                               auth_errcode: str = "1000040350") -> None:
        """Refuse the next `times` WebSocket upgrades (HTTP 403 with Lark's handshake headers)."""
        with self._lock:
            self._refusals.extend([(status, msg, auth_errcode)] * times)

    def _handshake(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            refusal = self._refusals.pop(0) if self._refusals else None
            full = len(self._sockets) >= self.max_connections
        if full:
            refusal = (str(AUTH_FAILED), "too many connections", "1000040350")
        if refusal is None:
            return None
        status, msg, auth_errcode = refusal
        headers = Headers({"handshake-status": status, "handshake-msg": msg, "handshake-autherrcode": auth_errcode})
        return Response(403, "Forbidden", headers, b"")

    # -- connections ----------------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """Open connections now."""
        with self._lock:
            return len(self._sockets)

    def wait_for_connections(self, count: int = 1, timeout: float = 10.0, *, opened: int = 0) -> None:
        """Wait until at least `count` connections are open (and at least `opened` were ever opened: pass
        `gateway.opened + 1` before a drop to wait for the reconnect); AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while self.connections < count or self.opened < opened:
            if time.monotonic() > deadline:
                raise AssertionError(f"FakeLarkGateway: {self.connections} connection(s) after {timeout} s, "
                                     f"not {count}")
            time.sleep(0.02)

    async def _serve(self, socket: ServerConnection) -> None:
        with self._lock:
            self._sockets.append(socket)
            self.opened += 1
        try:
            async for message in socket:
                if isinstance(message, bytes):
                    await self._received(socket, message)
        except Exception:  # noqa: BLE001 - a dropped connection ends here
            pass
        finally:
            with self._lock:
                self._sockets.remove(socket)

    async def _received(self, socket: ServerConnection, message: bytes) -> None:
        frame = parse_frame(message)
        if frame.method == CONTROL and header(frame, "type") == PING:
            with self._lock:
                self.pings.append(time.monotonic())
            if not self.stop_answering_pings:
                payload = json.dumps(self.pong_config).encode() if self.pong_config else b""
                await socket.send(control_frame(PONG, frame.service, payload).SerializeToString())
        elif frame.method == DATA:
            future = self._answers.pop(header(frame, "message_id") or "", None)
            if future is not None and not future.done():
                future.set_result(frame)

    # -- what a test does -------------------------------------------------------------------------------

    def send(self, payload: dict | bytes, *, parts: int = 1, kind: str = EVENT, message_id: str | None = None,
             timeout: float = 5.0, connection: int = 0) -> dict:
        """Send `payload` as `parts` data frames on open connection number `connection` and wait for its answer
        frame: {"code", "headers", "data" (the answer's JSON, or None), "frame_headers", "seconds"}."""
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        message_id = message_id or f"msg_{next(self._ids)}"
        size = max(1, -(-len(raw) // parts))
        chunks = [raw[i * size:(i + 1) * size] for i in range(parts)]
        answer: Future = Future()
        self._answers[message_id] = answer
        frames = [data_frame(chunk, message_id=message_id, kind=kind, seq=seq, total=parts, trace_id=message_id)
                  for seq, chunk in enumerate(chunks)]
        started = time.monotonic()
        self.send_frames(frames, connection=connection)
        try:
            frame = answer.result(timeout=timeout)
        except TimeoutError:
            self._answers.pop(message_id, None)
            raise AssertionError(f"FakeLarkGateway: no answer to {message_id} within {timeout} s") from None
        body = json.loads(frame.payload)
        data = body.get("data")
        return {"code": body.get("code"), "headers": body.get("headers") or {},
                "data": json.loads(base64.b64decode(data)) if data else None,
                "frame_headers": {item.key: item.value for item in frame.headers},
                "seconds": time.monotonic() - started}

    def send_frames(self, frames: list, connection: int = 0) -> None:
        """Send raw frames (or bytes) on open connection number `connection`."""
        socket = self._socket(connection)
        for frame in frames:
            raw = frame if isinstance(frame, bytes) else frame.SerializeToString()
            self._call(socket.send(raw))

    def drop(self) -> None:
        """Cut every open connection at once, as a network failure does (no close frame)."""
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(socket.transport.abort)

    def close_all(self, code: int = 1000) -> None:
        """Close every open connection cleanly."""
        with self._lock:
            sockets = list(self._sockets)
        for socket in sockets:
            self._call(socket.close(code))

    def _socket(self, number: int) -> ServerConnection:
        with self._lock:
            if number >= len(self._sockets):
                raise AssertionError(f"FakeLarkGateway: no open connection number {number} "
                                     f"({len(self._sockets)} open)")
            return self._sockets[number]

    def _call(self, coroutine: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)
