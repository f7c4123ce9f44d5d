"""`RateLimit`: keep to Lark's request limits by waiting: so many calls a second for the app, and fewer for
each single message or chat (50/s per app, 5/s per message or chat;
https://open.feishu.cn/document/server-docs/im-v1/message/create).

    limit = RateLimit(per_app=50, per_target=5)
    await limit.wait("om_1")        # returns once a call for om_1 may go
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Awaitable, Callable

WINDOW = 1.0


class RateLimit:
    """Sliding one-second windows: at most `per_app` calls in all, and `per_target` for one target."""

    def __init__(self, per_app: int = 50, per_target: int = 5, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._per_app, self._per_target, self._clock, self._sleep = per_app, per_target, clock, sleep
        self._app: deque[float] = deque()
        self._targets: dict[str, deque[float]] = {}
        self._lock = asyncio.Lock()

    async def wait(self, target: str) -> None:
        """Wait until a call for `target` keeps both limits, and count it."""
        async with self._lock:
            while True:
                now = self._clock()
                calls = self._targets.setdefault(target, deque())
                for window in (self._app, calls):
                    while window and window[0] <= now - WINDOW:
                        window.popleft()
                delay = max(self._delay(self._app, self._per_app, now), self._delay(calls, self._per_target, now))
                if delay <= 0:
                    self._app.append(now)
                    calls.append(now)
                    self._forget_idle(now)
                    return
                await self._sleep(delay)

    @staticmethod
    def _delay(window: deque[float], limit: int, now: float) -> float:
        return 0.0 if len(window) < limit else window[0] + WINDOW - now

    def _forget_idle(self, now: float) -> None:
        if len(self._targets) > 1000:
            for target in [t for t, calls in self._targets.items() if not calls or calls[-1] <= now - WINDOW]:
                del self._targets[target]
