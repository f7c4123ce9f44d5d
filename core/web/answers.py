"""JSON answers: compact UTF-8 (Chinese stays readable), and a way to answer before the handler returns."""

from __future__ import annotations

from typing import Any

from sanic import HTTPResponse, Request
from sanic import json as sanic_json

from ..jsoncodec import dumps, dumps_bytes


def json_answer(body: Any, status: int = 200) -> HTTPResponse:
    """An application/json response."""
    return sanic_json(body, status=status, dumps=dumps)


async def answer_now(request: Request, body: Any) -> None:
    """Send `body` as the complete 200 answer now; the handler may keep working afterwards."""
    response = await request.respond(content_type="application/json")
    await response.send(dumps_bytes(body), end_stream=True)
