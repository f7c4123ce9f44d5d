"""Steps 4–11 of the journey, whatever carried the callback (the callback URL, or the long connection): a
click, a link preview or an event in an authenticated `Envelope` becomes the answer to send, and what to do
once it is sent.

    reply = await receive(runtime, envelope, started)
    send(reply.body)                  # the transport's answer
    reply.then()                      # an event's hook, a late click's push: after the answer
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from .previews import LINK_PREVIEW_EVENT
from .protocol import Envelope, parse_action, render_answer

if TYPE_CHECKING:
    from .runtime import Runtime


@dataclass(frozen=True)
class Reply:
    """The answer's JSON body, and what must run once it has been sent (even if sending failed)."""

    body: dict[str, Any] | None
    """None for an event: its answer is empty (the callback URL answers `{}`)."""
    after: Callable[[], None] | None = None

    def then(self) -> None:
        """Run what waits for the answer, if anything."""
        if self.after is not None:
            self.after()


async def receive(runtime: Runtime, envelope: Envelope, started: float, *, keep_forever: bool) -> Reply:
    """Answer one authenticated callback or event (not a URL verification). `keep_forever`: its time could
    not be checked against the replay window, so its delivery record is never pruned."""
    if envelope.event_type == LINK_PREVIEW_EVENT:                                  # a link preview
        return Reply(await runtime.previews.answer(envelope, started))
    if envelope.kind == "other":                                                   # an event: recorded, answered,
        work = await runtime.events.accept(envelope, keep_forever=keep_forever)
        return Reply(None) if work is None else Reply(None, lambda: runtime.events.start(work))  # then handled
    action = parse_action(envelope)                                                # 4 parse
    outcome = await runtime.handle_click(action, started, keep_forever=keep_forever)  # 5–10 dedupe … store
    answer = render_answer(action.format, card=outcome.card, toast=outcome.toast)  # 11 answer
    late = outcome.late
    if late is None:
        return Reply(answer)
    return Reply(answer, lambda: runtime.finish_late(action, late))               # late plugin
