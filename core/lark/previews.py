"""`PreviewRefresher`: refresh link previews as fast as Lark allows, never faster, from any number of threads.

    refresher = PreviewRefresher(lark)                      # one per app and process, shared by every plugin
    refresher.refresh(tokens_of_the_changed_page)           # blocks while the limits require it

Lark's limits for `POST /open-apis/im/v2/url_previews/batch_update`
(https://open.feishu.cn/document/im-v1/url_preview/batch_update): at most 10 preview tokens a call, 5 calls a
second per app, and each preview token refreshed at most once every 5 seconds. Lark refuses what goes past them;
the refresher waits instead, and drops nothing.

Its bookkeeping counts a call from when it is sent until its answer came, plus the limit's span after that: Lark
counts the call somewhere in between, so the next one can never be early whatever the network delays. A call the
client retries (`LarkClient` retries 5xx and rate limits) counts once here.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterable, Protocol

from .client import MAX_PREVIEW_TOKENS

MAX_REQUESTS = 5
"""Refresh calls per `WINDOW_SECONDS`, per app."""
WINDOW_SECONDS = 1.0
TOKEN_SECONDS = 5.0
"""Seconds between two refreshes of one preview token."""


class PreviewUpdater(Protocol):
    """What the refresher calls: `LarkClient.batch_update_previews`."""

    def batch_update_previews(self, preview_tokens: list[str], open_ids: list[str] | None = None) -> None: ...


class PreviewRefresher:
    """Sends link-preview refreshes through `client` within Lark's limits; thread-safe.

    `max_requests` calls per `window_seconds` and one refresh per token every `token_seconds` are Lark's
    (5, 1 s and 5 s); tests may set smaller ones. `clock` and `sleep` are for tests.
    """

    def __init__(
        self,
        client: PreviewUpdater,
        *,
        max_requests: int = MAX_REQUESTS,
        window_seconds: float = WINDOW_SECONDS,
        token_seconds: float = TOKEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        self._client = client
        self._max_requests, self._window, self._token_seconds = max_requests, window_seconds, token_seconds
        self._clock, self._sleep = clock, sleep
        self._changed = threading.Condition()
        self._answered: list[float] = []  # when recent calls were answered
        self._in_flight = 0  # calls sent and not yet answered
        self._refreshed: dict[str, float | None] = {}  # token -> when its last refresh was answered (None: in flight)

    def refresh(self, preview_tokens: Iterable[str], open_ids: list[str] | None = None) -> None:
        """Refresh every token once (duplicates dropped), in calls of up to 10, waiting as the limits require.

        Returns when every call was answered; the first failed call raises its `LarkError` and the tokens after
        it are not sent. A token that is not a non-empty string is a `ValueError` before anything is sent.
        """
        tokens = list(dict.fromkeys(preview_tokens))
        if not all(isinstance(token, str) and token for token in tokens):
            raise ValueError(f"preview tokens must be non-empty strings, not {tokens!r}")
        for start in range(0, len(tokens), MAX_PREVIEW_TOKENS):
            batch = tokens[start:start + MAX_PREVIEW_TOKENS]
            self._reserve(batch)
            try:
                self._client.batch_update_previews(batch, open_ids)
            finally:
                self._release(batch)

    def _reserve(self, batch: list[str]) -> None:
        """Wait until `batch` may be sent, then count it as in flight."""
        with self._changed:
            while True:
                now = self._clock()
                self._forget(now)
                delay = self._delay(batch, now)
                if delay is None:
                    self._changed.wait()  # until a call in flight is answered
                elif delay:
                    self._changed.release()
                    try:
                        self._sleep(delay)
                    finally:
                        self._changed.acquire()
                else:
                    self._in_flight += 1
                    self._refreshed.update(dict.fromkeys(batch))
                    return

    def _delay(self, batch: list[str], now: float) -> float | None:
        """Seconds until `batch` may be sent (0: now), or None while that depends on a call in flight."""
        waits = [0.0]
        for token in batch:
            if token in self._refreshed:
                answered = self._refreshed[token]
                if answered is None:
                    return None
                waits.append(_wait(answered, self._token_seconds, now))
        excess = len(self._answered) + self._in_flight - self._max_requests + 1
        if excess > len(self._answered):
            return None
        if excess > 0:
            waits.append(_wait(sorted(self._answered)[excess - 1], self._window, now))
        return max(waits)

    def _release(self, batch: list[str]) -> None:
        with self._changed:
            now = self._clock()
            self._in_flight -= 1
            self._answered.append(now)
            self._refreshed.update(dict.fromkeys(batch, now))
            self._changed.notify_all()

    def _forget(self, now: float) -> None:
        self._answered = [answered for answered in self._answered if now - answered < self._window]
        expired = [token for token, answered in self._refreshed.items()
                   if answered is not None and now - answered >= self._token_seconds]
        for token in expired:
            del self._refreshed[token]


def _wait(since: float, seconds: float, now: float) -> float:
    """Seconds until `now - since >= seconds`, compared as Lark compares them (0: already); at least 1 µs, so that
    a float rounding never leaves the clock where it was."""
    elapsed = now - since
    return 0.0 if elapsed >= seconds else max(seconds - elapsed, 1e-6)
