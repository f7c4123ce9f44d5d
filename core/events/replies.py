"""What a message or command hook may return: a reply to the message it handled."""

from __future__ import annotations

import logging
from typing import Any

from ..bot import Bot
from ..messages import Message

log = logging.getLogger("cardbot.events")


async def send_reply(bot: Bot, message: Message, result: Any, plugin: str, hook: str) -> None:
    """Reply to `message` with what `hook` returned: a str is a text reply, a dict a card (stored as version 1).

    Anything else is the plugin's mistake: logged, and nothing is sent.
    """
    if isinstance(result, str):
        await bot.reply_async(message.message_id, text=result)
    elif isinstance(result, dict):
        await bot.reply_async(message.message_id, card=result)
    else:
        log.error("plugin %r: %s returned %s; return a str (a text reply), a card dict or None", plugin, hook,
                  type(result).__name__)
