"""The bot's own open_id, which commands in group chats must @-mention: asked of Lark once, then cached."""

from __future__ import annotations

import asyncio
import logging
import time

from ..lark import LarkClient, LarkError

log = logging.getLogger("cardbot.events")
RETRY_SECONDS = 30.0
"""After a failed lookup, how long messages go without the bot's id before it is asked for again."""


class BotIdentity:
    """`await identity.open_id()`: the bot's open_id from `GET /open-apis/bot/v3/info`, or None while unknown."""

    def __init__(self, lark: LarkClient) -> None:
        self._lark = lark
        self._open_id: str | None = None
        self._failed_at: float | None = None
        self._lock = asyncio.Lock()

    async def open_id(self) -> str | None:
        """The cached open_id; the first call asks Lark (a failure is logged, and retried after RETRY_SECONDS)."""
        if self._open_id is not None:
            return self._open_id
        async with self._lock:
            if self._open_id is None and not self._recently_failed():
                try:
                    info = await asyncio.to_thread(self._lark.bot_info)
                except LarkError as error:
                    self._failed_at = time.monotonic()
                    log.warning("cannot learn the bot's own open_id (%s): until it is known, group messages "
                                "are not read as commands (direct messages still are)", error)
                else:
                    self._open_id = info.open_id
                    log.info("the bot is %s (%s)", info.app_name or "unnamed", info.open_id)
        return self._open_id

    def _recently_failed(self) -> bool:
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_SECONDS
