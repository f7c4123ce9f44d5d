"""`POST /api/cards`: other systems (CI, approvals) send cards through the bot, which stores them.

    curl -H "Authorization: Bearer $CARDBOT_API_TOKEN" -d '{"receive_id_type": "chat_id",
         "receive_id": "oc_…", "card": {…}}' http://127.0.0.1:8000/api/cards     →  {"message_id": "om_…", …}

`"state": {"approvals": {"amount": 120}}` gives the card its starting state (plugin → values), committed
with version 1: the plugin reads it as `state.card`.

Off (404) unless `CARDBOT_API_TOKEN` is set; 401 without the right bearer token.
"""

from __future__ import annotations

from sanic import Request

from ..errors import CallbackRejected, CardInvalid
from ..lark import RECEIVE_ID_TYPES, LarkError
from ..protocol.jsonbody import load_object
from ..protocol.signature import constant_time_equal
from ..sending import initial_state
from .answers import json_answer


async def send_card(request: Request):
    """Send the card in the body and store it; answer its message id."""
    runtime = request.app.ctx.runtime
    _authorize(request, runtime.secrets.api_token)
    receive_id_type, receive_id, card, uuid, state = _read_body(request.body)
    try:
        sent = await runtime.sender.send_async(receive_id_type, receive_id, card, uuid=uuid, state=state)
    except CardInvalid as error:
        raise CallbackRejected(400, f"not a valid card: {error}") from None
    except ValueError as error:  # the state
        raise CallbackRejected(400, str(error)) from None
    except LarkError as error:
        return json_answer({"error": str(error), "lark_code": error.code, "request_id": error.request_id}, 502)
    return json_answer({"message_id": sent.message_id, "version": sent.version, "warnings": sent.warnings})


def _authorize(request: Request, token: str | None) -> None:
    if not token:
        raise CallbackRejected(404, "the card API is off: set CARDBOT_API_TOKEN to turn it on")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equal(given.strip(), token):
        raise CallbackRejected(401, "send Authorization: Bearer <CARDBOT_API_TOKEN>")


def _read_body(body: bytes) -> tuple[str, str, dict, str | None, dict | None]:
    try:
        data = load_object(body or b"null")
    except CallbackRejected as refused:
        raise CallbackRejected(400, f"{refused.reason}; send a JSON object: "
                                    "{\"receive_id_type\", \"receive_id\", \"card\"}") from None
    receive_id_type, receive_id, card, uuid = (data.get(key) for key in ("receive_id_type", "receive_id", "card",
                                                                         "uuid"))
    if receive_id_type not in RECEIVE_ID_TYPES:
        raise CallbackRejected(400, f"receive_id_type must be one of {', '.join(RECEIVE_ID_TYPES)}")
    if not isinstance(receive_id, str) or not receive_id:
        raise CallbackRejected(400, "receive_id must be a non-empty string")
    if not isinstance(card, dict):
        raise CallbackRejected(400, "card must be a JSON object (the card itself, not a string)")
    if uuid is not None and (not isinstance(uuid, str) or not 0 < len(uuid) <= 50):
        raise CallbackRejected(400, "uuid must be a string of at most 50 characters")
    state = data.get("state")
    if state is not None:
        try:
            initial_state(state)
        except ValueError as error:
            raise CallbackRejected(400, str(error)) from None
    return receive_id_type, receive_id, card, uuid, state
