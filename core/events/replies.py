"""What a message or command hook may return: a reply to the message it handled, sent through the outbox."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import CardInvalid
from ..later.outbox import Outbox
from ..messages import Message

log = logging.getLogger("cardbot.events")


def queue_reply(outbox: Outbox, message: Message, result: Any, plugin: str, hook: str) -> None:
    """Put the reply `hook` returned in the outbox: a str is a text reply, a dict a card (stored as version 1
    once sent). Anything else, or an invalid card, is the plugin's mistake: logged, and nothing is sent."""
    try:
        if isinstance(result, str):
            outbox.reply(message.message_id, text=result)
        elif isinstance(result, dict):
            outbox.reply(message.message_id, card=result)
        else:
            log.error("plugin %r: %s returned %s; return a str (a text reply), a card dict or None", plugin, hook,
                      type(result).__name__)
    except (CardInvalid, ValueError) as error:
        log.error("plugin %r: %s returned a reply that cannot be sent: %s", plugin, hook, error)
