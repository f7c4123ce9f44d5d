"""`LarkError`: a Lark API call failed; it carries Lark's code, message and request id for a support ticket."""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import CardbotError


class LarkError(CardbotError):
    """A Lark open-platform call failed (after the retries that were allowed).

    `code` and `msg` are Lark's (`code` is None when the answer had none: network failure, HTML error page);
    `request_id` is the log id Lark support asks for; `http_status` is None when no answer came.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        msg: str = "",
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.msg = msg
        self.request_id = request_id
        self.http_status = http_status

    @classmethod
    def from_answer(
        cls, method: str, path: str, *, http_status: int, code: int | None, msg: str, request_id: str | None
    ) -> LarkError:
        """`Lark API POST /open-apis/...: code 230001 (msg) [request id ...]`; HTTP status when there is no code."""
        what = f"code {code}" if code is not None else f"HTTP {http_status}"
        message = f"Lark API {method} {path}: {what} ({msg or 'no message'})"
        if request_id:
            message += f" [request id {request_id}]"
        return cls(message, code=code, msg=msg, request_id=request_id, http_status=http_status)


def request_id_of(headers: Mapping[str, str], body: Any) -> str | None:
    """Lark's id for one request: the `X-Tt-Logid` or `X-Request-Id` header, else `error.log_id` in the body."""
    for name in ("X-Tt-Logid", "X-Request-Id"):
        if headers.get(name):
            return headers[name]
    error = body.get("error") if isinstance(body, dict) else None
    log_id = error.get("log_id") if isinstance(error, dict) else None
    return log_id if isinstance(log_id, str) and log_id else None
