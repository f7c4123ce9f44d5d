"""`POST /lark/callback`: the journey of one click, one line per step (see docs/architecture.md); link
previews and events branch off after step 3."""

from __future__ import annotations

import logging
import time

from sanic import Request

from ..previews import LINK_PREVIEW_EVENT
from ..protocol import open_envelope, parse_action, render_answer
from .answers import answer_now, json_answer
from .guard import guard, is_local_request

log = logging.getLogger("cardbot.web")


async def lark_callback(request: Request):
    """Take anything Lark sends to the callback URL; an authenticated click always gets a 200."""
    started = time.monotonic()
    runtime = request.app.ctx.runtime
    raw = guard(request)                                                           # 1 guard
    envelope = open_envelope(raw, request.headers, runtime.auth,                   # 2 unwrap, 3 verify
                             peer_is_loopback=runtime.auth.unsigned_allowed and is_local_request(request))
    if envelope.kind == "challenge":
        return json_answer({"challenge": envelope.challenge})
    if envelope.event_type == LINK_PREVIEW_EVENT:                                  # a link preview
        return json_answer(await runtime.previews.answer(envelope, started))
    if envelope.kind == "other":                                                   # an event: recorded, answered,
        work = await runtime.events.accept(envelope, keep_forever=not envelope.time_checked)
        if work is None:
            return json_answer({})
        try:
            await answer_now(request, {})
        finally:  # recorded, so it runs even if the answer could not be sent (a repeat will find the record)
            runtime.events.start(work)                                             # then handled
        return None
    action = parse_action(envelope)                                                # 4 parse
    outcome = await runtime.handle_click(action, started,                          # 5–10 dedupe … store
                                         keep_forever=not envelope.time_checked)
    answer = render_answer(action.format, card=outcome.card, toast=outcome.toast)  # 11 answer
    if outcome.late is None:
        return json_answer(answer)
    await answer_now(request, answer)
    runtime.finish_late(action, outcome.late)                                      # late plugin
    return None
