"""Per-card locks inside one process, so clicks on one card queue here instead of polling the database."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator


class CardLocks:
    """`async with locks.hold(message_id):` admits one click per card at a time in this process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, message_id: str) -> AsyncIterator[None]:
        """Wait for, then hold, the card's lock; the lock is forgotten when nobody uses it."""
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

    def __len__(self) -> int:
        return len(self._locks)
