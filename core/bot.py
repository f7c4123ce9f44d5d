"""`Bot`: what plugins may ask of cardbot itself, passed to hooks as `bot`.

    @hookimpl
    async def cardbot_action(action, bot):
        await bot.send_card_async(FOLLOW_UP, chat_id=action.chat_id)
"""

from __future__ import annotations

import asyncio
from typing import Any, Coroutine, TypeVar

from .sending import CardSender

T = TypeVar("T")


class Bot:
    """Send follow-up cards (stored like every card the bot sends, so they are clickable at once)."""

    def __init__(self, sender: CardSender, home: asyncio.AbstractEventLoop | None = None) -> None:
        self._sender = sender
        self._home = home
        """The serving loop: awaitables called from a plugin's own loop run there (the store lives on it)."""

    def send_card(self, card: dict, *, chat_id: str | None = None, open_id: str | None = None,
                  user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                  uuid: str | None = None) -> str:
        """Send `card` to exactly one receiver and return its message id. Blocks: from an async hook
        use `send_card_async`. Pass a stable `uuid` to make a repeated send post only once."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError("bot.send_card blocks; in an async hook use: await bot.send_card_async(...)")
        receive_id_type, receive_id = _receiver(chat_id, open_id, user_id, union_id, email)
        return self._sender.send(receive_id_type, receive_id, card, uuid=uuid).message_id

    async def send_card_async(self, card: dict, *, chat_id: str | None = None, open_id: str | None = None,
                              user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                              uuid: str | None = None) -> str:
        """Send `card` to exactly one receiver and return its message id (for async hooks, on any loop)."""
        receive_id_type, receive_id = _receiver(chat_id, open_id, user_id, union_id, email)
        return (await self._at_home(self._sender.send_async(receive_id_type, receive_id, card, uuid=uuid))).message_id

    async def _at_home(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await `coroutine` on the serving loop, from whichever loop calls (a plugin's own, usually)."""
        if self._home is None or asyncio.get_running_loop() is self._home:
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._home))


def _receiver(chat_id: str | None, open_id: str | None, user_id: str | None, union_id: str | None,
              email: str | None) -> tuple[str, str]:
    given = {name: value for name, value in
             (("chat_id", chat_id), ("open_id", open_id), ("user_id", user_id), ("union_id", union_id),
              ("email", email)) if value}
    if len(given) != 1:
        raise ValueError("name exactly one receiver: chat_id, open_id, user_id, union_id or email")
    return next(iter(given.items()))
