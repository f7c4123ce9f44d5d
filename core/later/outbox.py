"""`Outbox`: messages a plugin asks for while it handles a click, a message, an event or a timer, sent only
once that commits (never when it fails), exactly once, with retries.

    @hookimpl
    def cardbot_action(action, outbox, timers):
        sent = outbox.send_card(REQUEST_CARD, open_id=APPROVER, state={"amount": 120})
        timers.schedule("remind", after=timedelta(days=1), card=sent)
        return Patch.toast("success", "Sent for approval")

`bot.send_card` still sends at once, before the click commits; use `outbox` for anything that must not go
out unless the click does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..bot import receiver
from ..jsoncodec import dumps
from ..patches import card_json
from ..sending import message_text
from ..store.effects import REPLY, SEND, UPDATE, OutboxEntry


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message in the outbox: pass it as a timer's `card=` to target the card it will send."""

    id: str
    """Its outbox id, also the Lark `uuid` of the send."""


class Outbox:
    """Collects one delivery's messages to send; cardbot commits them with it (see the module docstring)."""

    def __init__(self, plugin: str) -> None:
        self._plugin = plugin
        self._entries: list[OutboxEntry] = []

    def send_card(self, card: dict, *, chat_id: str | None = None, open_id: str | None = None,
                  user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                  state: dict[str, Any] | None = None) -> Outgoing:
        """Send `card` to exactly one receiver after the commit; it is stored as version 1 of its message,
        with `state` as this plugin's `state.card` for it. CardInvalid or ValueError at once when wrong."""
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        return self._add(SEND, receive_id_type, receive_id, "interactive", card_json(card), _state(state))

    def send_text(self, text: str, *, chat_id: str | None = None, open_id: str | None = None,
                  user_id: str | None = None, union_id: str | None = None, email: str | None = None) -> Outgoing:
        """Send a text message to exactly one receiver after the commit."""
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        return self._add(SEND, receive_id_type, receive_id, "text", dumps({"text": message_text(text)}))

    def reply(self, message_id: str, *, text: str | None = None, card: dict | None = None,
              state: dict[str, Any] | None = None, in_thread: bool = False) -> Outgoing:
        """Reply to message `message_id` with `text` or a `card` (stored as version 1, starting with `state`)."""
        if (text is None) == (card is None):
            raise ValueError("reply with exactly one of text= or card=")
        if not isinstance(message_id, str) or not message_id:
            raise ValueError(f"reply needs the message id replied to, not {message_id!r}")
        if card is not None:
            return self._add(REPLY, None, message_id, "interactive", card_json(card), _state(state), in_thread)
        return self._add(REPLY, None, message_id, "text", dumps({"text": message_text(text)}), None, in_thread)

    def push(self, card_id: str) -> Outgoing:
        """PATCH the stored card `card_id` to Lark after the commit, as it is stored when sent (cardbot does
        this itself when a timer changes a card)."""
        return self._add(UPDATE, None, card_id)

    def entries(self) -> tuple[OutboxEntry, ...]:
        """What was asked for, in order."""
        return tuple(self._entries)

    def _add(self, kind: str, receive_id_type: str | None, receive_id: str, msg_type: str | None = None,
             content: str | None = None, state: str | None = None, in_thread: bool = False) -> Outgoing:
        entry = OutboxEntry(uuid.uuid4().hex, self._plugin, kind, receive_id_type, receive_id, msg_type, content,
                            state, in_thread)
        self._entries.append(entry)
        return Outgoing(entry.id)


def _state(state: dict[str, Any] | None) -> str | None:
    if state is None:
        return None
    if not isinstance(state, dict) or not all(isinstance(key, str) and key for key in state):
        raise TypeError(f"state must be a dict of str keys to JSON values, not {state!r}")
    try:
        return dumps(state)
    except TypeError as error:
        raise TypeError(f"state must hold JSON values only: {error}") from None
