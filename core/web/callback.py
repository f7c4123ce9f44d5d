"""`POST /lark/callback`: the journey of one click, one line per step (see docs/architecture.md): steps 1–3 here,
the rest in receiving.py, which the long connection shares."""

from __future__ import annotations

import logging
import time

from sanic import Request

from ..errors import CallbackRejected
from ..protocol import open_envelope
from ..receiving import receive
from .answers import answer_now, json_answer
from .guard import guard, is_local_request

log = logging.getLogger("cardbot.web")
CALLBACK_URL_OFF = "the callback URL is off ([bot] callback_url = false): this bot receives over the long connection"


async def lark_callback(request: Request):
    """Take anything Lark sends to the callback URL; an authenticated click always gets a 200."""
    started = time.monotonic()
    runtime = request.app.ctx.runtime
    if not runtime.config.bot.callback_url:
        raise CallbackRejected(404, CALLBACK_URL_OFF)
    raw = guard(request)                                                           # 1 guard
    envelope = open_envelope(raw, request.headers, runtime.auth,                   # 2 unwrap, 3 verify
                             peer_is_loopback=runtime.auth.unsigned_allowed and is_local_request(request))
    if envelope.kind == "challenge":
        return json_answer({"challenge": envelope.challenge})
    reply = await receive(runtime, envelope, started, keep_forever=not envelope.time_checked)  # 4–11
    body = {} if reply.body is None else reply.body
    if reply.after is None:
        return json_answer(body)
    try:
        await answer_now(request, body)
    finally:  # an event recorded runs even if its answer could not be sent (a repeat will find the record)
        reply.then()
    return None
