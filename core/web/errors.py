"""Every refusal is a short JSON message with a 4xx status; no traceback ever reaches a client."""

from __future__ import annotations

import logging

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import SanicException

from ..errors import CallbackRejected
from .answers import json_answer

log = logging.getLogger("cardbot.web")


def install_error_handlers(app: Sanic) -> None:
    """Answer CallbackRejected, Sanic's own errors (404, 405, 413, …) and anything unexpected as JSON."""

    @app.exception(CallbackRejected)
    async def rejected(request: Request, error: CallbackRejected):
        return refuse(request, error.status, error.reason)

    @app.exception(SanicException)
    async def sanic_error(request: Request, error: SanicException):
        return refuse(request, getattr(error, "status_code", 400) or 400, str(error) or "bad request")

    @app.exception(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return json_answer({"error": "the request could not be processed"}, 400)


def refuse(request: Request, status: int, reason: str) -> HTTPResponse:
    """Log the refusal (one line naming the request and why) and answer `{"error": reason}`."""
    log.warning("refused %s %s from %s: %d %s", request.method, request.path, request.ip, status, reason)
    return json_answer({"error": reason}, status)
