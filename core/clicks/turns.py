"""Whose turn it is on a card: one click at a time per card in this process, one process at a time across.

In a process, clicks on one card queue on an asyncio lock. Across worker processes a lease row in the
database decides (taken in the click's claim, given back with its commit). A process with more clicks
queued for a card keeps the lease for up to MAX_TURNS of them in a row, so a hot card does not change
hands on every click; a process left waiting has put itself in line (see `store.clicks`) and goes next.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

MAX_TURNS = 16
"""Clicks a process may run on one card in a row while another process may be waiting for it."""


class CardTurns:
    """`async with turns.hold(message_id):` admits one click per card at a time in this process."""

    def __init__(self, release: Callable[[str], Awaitable[None]]) -> None:
        self._release = release
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._kept: dict[str, int] = {}
        self._background: set[asyncio.Task] = set()

    @asynccontextmanager
    async def hold(self, message_id: str) -> AsyncIterator[None]:
        """Wait for, then hold, the card in this process; the last one out frees a lease kept in vain."""
        lock = self._locks.setdefault(message_id, asyncio.Lock())
        self._users[message_id] = self._users.get(message_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[message_id] -= 1
            if not self._users[message_id]:
                del self._users[message_id]
                del self._locks[message_id]
                if self._kept.pop(message_id, None) is not None:  # kept for a click that never came
                    task = asyncio.ensure_future(self._release(message_id))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)

    def queued(self, message_id: str) -> bool:
        """True when a click in this process is already on the card (a new one would queue behind it)."""
        return message_id in self._users

    def kept(self, message_id: str) -> bool:
        """True when the click before kept the card's lease for the next one here."""
        return message_id in self._kept

    def forget(self, message_id: str) -> None:
        """The lease was given back outside `give_back` (after an abandoned plugin thread returned)."""
        self._kept.pop(message_id, None)

    def give_back(self, message_id: str) -> bool:
        """Ask at the end of a click: True to release the lease with it; False keeps it for the next click
        queued here (MAX_TURNS in a row at most)."""
        kept = self._kept.get(message_id, 0)
        if self._users.get(message_id, 0) > 1 and kept + 1 < MAX_TURNS:
            self._kept[message_id] = kept + 1
            return False
        self._kept.pop(message_id, None)
        return True
