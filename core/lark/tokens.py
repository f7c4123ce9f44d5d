"""A process-wide cache of one app's tenant_access_token, safe to share between threads.

Lark issues tokens for up to 2 hours and hands out a NEW one once fewer than 30 minutes remain
(lark-protocol.md §7.4), so a cached token is used until 30 minutes before it expires, and never past
half its lifetime when Lark grants less than an hour (a test platform's short `expire`).
"""

from __future__ import annotations

import threading
from typing import Callable

REFRESH_WINDOW = 30 * 60
"""Refresh when fewer than this many seconds of the token's life remain."""

Fetch = Callable[[], tuple[str, float]]
"""Asks Lark for a token: returns (token, seconds it stays valid)."""


class TokenCache:
    """`cache.get()` returns a usable token, fetching one when needed; concurrent callers share ONE fetch."""

    def __init__(self, fetch: Fetch, clock: Callable[[], float]) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def get(self) -> str:
        """The cached token while it is fresh, else a new one (a failed fetch raises and caches nothing)."""
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                asked_at = self._clock()
                token, expire = self._fetch()
                self._token = token
                self._refresh_at = asked_at + max(expire - REFRESH_WINDOW, expire / 2)
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` after Lark refused it; a no-op when another caller already replaced it."""
        with self._lock:
            if self._token == token:
                self._token = None
