"""Send a card through Lark and store it under the message id Lark returns (version 1); send text.

    sender = CardSender(LarkClient.from_secrets(secrets), store)
    sent = sender.send("chat_id", "oc_…", card)       # Sent(message_id="om_…", version=1, warnings=[])
    sent = await sender.reply_async("om_…", card=card) # a reply, stored the same way
    message_id = await sender.send_text_async("chat_id", "oc_…", "Done")

Used by `bot.py send`, `POST /api/cards` and plugins (`bot.send_card`), so a card is clickable the
moment it is sent: the stored copy is what the first click's patch is merged into. A card that cannot
be stored is refused (CardInvalid) before anything is posted. A send Lark answers with a message id
already stored (a retry with the same `uuid`) keeps the stored card and its version.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .jsoncodec import dumps
from .lark import LarkClient
from .patches import card_json, is_shared
from .store import Store

log = logging.getLogger("cardbot.send")
EXCLUSIVE_WARNING = (
    "this JSON 1.0 card has no \"config\": {\"update_multi\": true}, so it is exclusive: each answer and "
    "update reaches only the person who clicked, and the message cannot be PATCHed. Add update_multi "
    "to share updates with everyone who sees the card."
)


@dataclass(frozen=True)
class Sent:
    """A card sent and stored: its message id, the stored version, and warnings about the card."""

    message_id: str
    version: int
    warnings: list[str] = field(default_factory=list)


def card_warnings(card: dict) -> list[str]:
    """What a sender should know about `card` before sending it (it is valid; see validate_card)."""
    if not is_shared(card):
        return [EXCLUSIVE_WARNING]
    return []


class CardSender:
    """Sends cards with one Lark client and stores them in one store."""

    def __init__(self, client: LarkClient, store: Store) -> None:
        self._client = client
        self._store = store

    def send(self, receive_id_type: str, receive_id: str, card: dict, *, uuid: str | None = None,
             state: StartingState | None = None) -> Sent:
        """Send and store, blocking; raises CardInvalid, ValueError (receive_id_type, state) or LarkError.
        `state` is the card's starting state per plugin: {"approvals": {"amount": 120}} (see `initial_state`)."""
        text, warnings = self._check(card)
        rows = initial_state(state)
        message_id = self._client.send_card(receive_id_type, receive_id, card, uuid=uuid)
        version = self._store.put_sent_card_blocking(message_id, text, rows)
        return Sent(message_id, version, warnings)

    async def send_async(self, receive_id_type: str, receive_id: str, card: dict, *, uuid: str | None = None,
                         state: StartingState | None = None) -> Sent:
        """`send` for the event loop: the Lark call runs on a thread."""
        text, warnings = self._check(card)
        rows = initial_state(state)
        message_id = await asyncio.to_thread(self._client.send_card, receive_id_type, receive_id, card, uuid=uuid)
        version = await self._store.put_sent_card(message_id, text, rows)
        return Sent(message_id, version, warnings)

    def reply(self, message_id: str, *, card: dict | None = None, text: str | None = None,
              uuid: str | None = None, in_thread: bool = False) -> Sent:
        """Reply to message `message_id` with a card (stored as version 1 of the reply) or a text (`version` 0:
        nothing stored), blocking; raises CardInvalid, ValueError or LarkError."""
        msg_type, content, stored = self._reply_content(card, text)
        reply_id = self._client.reply_message(message_id, msg_type, content, uuid=uuid, reply_in_thread=in_thread)
        version = self._store.put_sent_card_blocking(reply_id, stored[0]) if stored else 0
        return Sent(reply_id, version, stored[1] if stored else [])

    async def reply_async(self, message_id: str, *, card: dict | None = None, text: str | None = None,
                          uuid: str | None = None, in_thread: bool = False) -> Sent:
        """`reply` for the event loop: the Lark call runs on a thread."""
        msg_type, content, stored = self._reply_content(card, text)
        reply_id = await asyncio.to_thread(self._client.reply_message, message_id, msg_type, content, uuid=uuid,
                                           reply_in_thread=in_thread)
        version = await self._store.put_sent_card(reply_id, stored[0]) if stored else 0
        return Sent(reply_id, version, stored[1] if stored else [])

    async def send_text_async(self, receive_id_type: str, receive_id: str, text: str, *,
                              uuid: str | None = None) -> str:
        """Send a text message; returns its message id (nothing is stored: a text has no card)."""
        return await asyncio.to_thread(self._client.send_message, receive_id_type, receive_id, "text",
                                       {"text": message_text(text)}, uuid=uuid)

    def send_text(self, receive_id_type: str, receive_id: str, text: str, *, uuid: str | None = None) -> str:
        """`send_text_async`, blocking."""
        return self._client.send_message(receive_id_type, receive_id, "text", {"text": message_text(text)}, uuid=uuid)

    def _reply_content(self, card: dict | None, text: str | None
                       ) -> tuple[str, dict, tuple[str, list[str]] | None]:
        if (card is None) == (text is None):
            raise ValueError("reply with exactly one of card= or text=")
        if card is not None:
            return "interactive", card, self._check(card)
        return "text", {"text": message_text(text)}, None

    @staticmethod
    def _check(card: dict) -> tuple[str, list[str]]:
        """The card as it will be stored (the client posts the same `dumps` text), and the warnings."""
        text = card_json(card)
        warnings = card_warnings(card)
        for warning in warnings:
            log.warning("sending a card: %s", warning)
        return text, warnings


StartingState = Mapping[str, Mapping[str, Any]]
"""A sent card's starting state: plugin name → {key: JSON value}, read by that plugin as `state.card`."""


def initial_state(state: StartingState | None) -> tuple[tuple[str, str, str], ...]:
    """`state` as (plugin, key, JSON text) rows; ValueError (saying what is wrong) for anything else."""
    if state is None:
        return ()
    if not isinstance(state, Mapping):
        raise ValueError("state must map plugin names to objects of that plugin's values for the card")
    rows = []
    for plugin, values in state.items():
        if not isinstance(plugin, str) or not plugin or not isinstance(values, Mapping):
            raise ValueError(f"state[{plugin!r}] must be an object of the plugin's values for the card")
        for key, value in values.items():
            if not isinstance(key, str) or not key:
                raise ValueError(f"state[{plugin!r}] keys must be non-empty strings, not {key!r}")
            try:
                rows.append((plugin, key, dumps(value)))
            except TypeError as error:
                raise ValueError(f"state[{plugin!r}][{key!r}] is not JSON: {error}") from None
    return tuple(rows)


def message_text(text: object) -> str:
    """`text` as a text message's content; ValueError unless it is a non-empty str."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"a text message needs a non-empty str, not {text!r}")
    return text
