"""One HTTP answer from Lark, read once: status, JSON body, Lark's code and message, request id, rate-limit reset."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import requests

from .errors import LarkError, request_id_of

RATE_LIMIT_HEADER = "x-ogw-ratelimit-reset"
"""Seconds until Lark's rate-limit window resets; sent with code 99991400 (lark-protocol.md §7.6)."""


@dataclass(frozen=True)
class Answer:
    """What Lark answered to one request.

    `body` is the JSON object (None when the body was not one, e.g. a gateway's HTML page); `code` is Lark's
    code (None when absent); `msg` is Lark's message, else the HTTP reason.
    """

    http_status: int
    body: dict[str, Any] | None
    code: int | None
    msg: str
    request_id: str | None
    reset_seconds: float | None

    @classmethod
    def read(cls, response: requests.Response) -> Answer:
        """Parse `response`; never raises on a malformed body."""
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else None
        code = body.get("code") if body is not None else None
        msg = body.get("msg") if body is not None else None
        return cls(
            http_status=response.status_code,
            body=body,
            code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            msg=msg if isinstance(msg, str) else response.reason or "",
            request_id=request_id_of(response.headers, body),
            reset_seconds=_seconds(response.headers.get(RATE_LIMIT_HEADER)),
        )

    @property
    def ok(self) -> bool:
        """HTTP 2xx with `code` 0."""
        return 200 <= self.http_status < 300 and self.code == 0

    def error(self, method: str, path: str) -> LarkError:
        """The `LarkError` describing this (failed) answer."""
        return LarkError.from_answer(
            method, path, http_status=self.http_status, code=self.code, msg=self.msg, request_id=self.request_id
        )


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
