"""Lark's callback wire protocol: decrypt, authenticate, classify, parse, answer.

    envelope = open_envelope(body, headers, auth, peer_is_loopback=False)   # or CallbackRejected
    action = parse_action(envelope)                                         # when kind == "card_action"
    body = render_answer(action.format, card=new_card, toast=Toast("success", "Done"))
"""

from .answer import render_answer
from .crypto import decrypt
from .envelope import CallbackAuth, Envelope, classify, open_envelope
from .parse import parse_action
from .signature import legacy_signature, v2_signature

__all__ = [
    "CallbackAuth",
    "Envelope",
    "decrypt",
    "legacy_signature",
    "classify",
    "open_envelope",
    "parse_action",
    "render_answer",
    "v2_signature",
]
