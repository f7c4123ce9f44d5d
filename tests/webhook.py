"""A local stand-in for a team's release webhook: records each POST and answers as told."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ReleaseWebhook:
    """`with ReleaseWebhook() as hook:` … `hook.url`, `hook.received`, `hook.answer(...)`."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.finished_at: list[float] = []
        self._status, self._body, self._delay = 200, {"code": 0, "msg": "ok"}, 0.0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                webhook.received.append(json.loads(self.rfile.read(length)))
                time.sleep(webhook._delay)
                body = webhook._body if isinstance(webhook._body, bytes) else json.dumps(webhook._body).encode()
                self.send_response(webhook._status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                webhook.finished_at.append(time.monotonic())

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/release"

    def answer(self, body: Any = None, *, status: int = 200, delay: float = 0.0) -> None:
        """Answer later requests with `body` (JSON, or raw bytes), `status`, after `delay` seconds."""
        self._status, self._delay = status, delay
        self._body = {"code": 0, "msg": "ok"} if body is None else body

    def __enter__(self) -> ReleaseWebhook:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
