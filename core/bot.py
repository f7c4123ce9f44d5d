"""`Bot`: what plugins may ask of cardbot itself, passed to hooks as `bot`.

    @hookimpl
    async def cardbot_action(action, bot):
        await bot.send_card_async(FOLLOW_UP, chat_id=action.chat_id)

    @hookimpl
    async def cardbot_command(command, bot):
        await bot.reply_async(command.message.message_id, text="On it")

Every method has a blocking form for plain hooks (they run on a worker thread) and an `_async` form for
`async def` hooks.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, tzinfo
from typing import Any, Coroutine, TypeVar

from .lark.previews import PreviewRefresher
from .sending import CardSender, StartingState

T = TypeVar("T")


class Bot:
    """Send follow-up cards (stored like every card the bot sends, so they are clickable at once), reply to
    messages, send text, refresh link previews."""

    def __init__(self, sender: CardSender, home: asyncio.AbstractEventLoop | None = None,
                 previews: PreviewRefresher | None = None, timezone: tzinfo = UTC) -> None:
        self._sender = sender
        self._previews = previews
        self._home = home
        self.timezone = timezone
        """The bot's time zone (`[bot] timezone`), for times of day a person types: `datetime.now(bot.timezone)`."""
        """The serving loop: awaitables called from a plugin's own loop run there (the store lives on it)."""

    def send_card(self, card: dict, *, chat_id: str | None = None, open_id: str | None = None,
                  user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                  uuid: str | None = None, state: StartingState | None = None) -> str:
        """Send `card` to exactly one receiver now and return its message id. Blocks: from an async hook
        use `send_card_async`. Pass a stable `uuid` to make a repeated send post only once; `state` is the
        card's starting state per plugin ({"approvals": {"amount": 120}}). To send only if the click
        commits, use the hook's `outbox` instead."""
        _refuse_on_a_loop("send_card")
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        return self._sender.send(receive_id_type, receive_id, card, uuid=uuid, state=state).message_id

    async def send_card_async(self, card: dict, *, chat_id: str | None = None, open_id: str | None = None,
                              user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                              uuid: str | None = None, state: StartingState | None = None) -> str:
        """Send `card` to exactly one receiver and return its message id (for async hooks, on any loop)."""
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        sending = self._sender.send_async(receive_id_type, receive_id, card, uuid=uuid, state=state)
        return (await self._at_home(sending)).message_id

    def reply(self, message_id: str, *, text: str | None = None, card: dict | None = None, uuid: str | None = None,
              in_thread: bool = False) -> str:
        """Reply to message `message_id` (in its chat) with `text` or a `card`; returns the reply's message id.
        A card reply is stored as version 1, so clicks on it work at once. Blocks: from an async hook use
        `reply_async`. Pass a stable `uuid` to make a repeated reply post only once."""
        _refuse_on_a_loop("reply")
        return self._sender.reply(message_id, text=text, card=card, uuid=uuid, in_thread=in_thread).message_id

    async def reply_async(self, message_id: str, *, text: str | None = None, card: dict | None = None,
                          uuid: str | None = None, in_thread: bool = False) -> str:
        """`reply` for async hooks, on any loop."""
        return (await self._at_home(self._sender.reply_async(message_id, text=text, card=card, uuid=uuid,
                                                             in_thread=in_thread))).message_id

    def send_text(self, text: str, *, chat_id: str | None = None, open_id: str | None = None,
                  user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                  uuid: str | None = None) -> str:
        """Send a text message to exactly one receiver; returns its message id. Blocks (see `send_text_async`)."""
        _refuse_on_a_loop("send_text")
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        return self._sender.send_text(receive_id_type, receive_id, text, uuid=uuid)

    async def send_text_async(self, text: str, *, chat_id: str | None = None, open_id: str | None = None,
                              user_id: str | None = None, union_id: str | None = None, email: str | None = None,
                              uuid: str | None = None) -> str:
        """`send_text` for async hooks, on any loop."""
        receive_id_type, receive_id = receiver(chat_id, open_id, user_id, union_id, email)
        return await self._at_home(self._sender.send_text_async(receive_id_type, receive_id, text, uuid=uuid))

    def refresh_previews(self, preview_tokens: list[str], *, open_ids: list[str] | None = None) -> None:
        """Make Lark fetch these link previews again (each comes back as a `cardbot_link_preview` call).

        Any number of tokens: they go 10 per request, at most 5 requests a second and each token at most once
        every 5 s (Lark's limits), waiting rather than dropping. `open_ids` refreshes only for those people.
        Blocks: from an async hook use `refresh_previews_async`."""
        _refuse_on_a_loop("refresh_previews")
        self._refresher().refresh(preview_tokens, open_ids)

    async def refresh_previews_async(self, preview_tokens: list[str], *, open_ids: list[str] | None = None) -> None:
        """`refresh_previews` for async hooks (the waiting happens on a thread)."""
        await asyncio.to_thread(self._refresher().refresh, preview_tokens, open_ids)

    def _refresher(self) -> PreviewRefresher:
        if self._previews is None:
            raise RuntimeError("this Bot cannot refresh link previews (it was made without a PreviewRefresher)")
        return self._previews

    async def _at_home(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await `coroutine` on the serving loop, from whichever loop calls (a plugin's own, usually)."""
        if self._home is None or asyncio.get_running_loop() is self._home:
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self._home))


def _refuse_on_a_loop(method: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"bot.{method} blocks; in an async hook use: await bot.{method}_async(...)")


def receiver(chat_id: str | None, open_id: str | None, user_id: str | None, union_id: str | None,
             email: str | None) -> tuple[str, str]:
    """(receive_id_type, receive_id) of the one receiver named; ValueError unless exactly one is."""
    given = {name: value for name, value in
             (("chat_id", chat_id), ("open_id", open_id), ("user_id", user_id), ("union_id", union_id),
              ("email", email)) if value}
    if len(given) != 1:
        raise ValueError("name exactly one receiver: chat_id, open_id, user_id, union_id or email")
    return next(iter(given.items()))
