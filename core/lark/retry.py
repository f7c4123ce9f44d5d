"""When a failed Lark call is tried again, and how long to wait first.

Retried: connection errors and timeouts, HTTP 5xx, HTTP 429, and Lark's rate-limit codes 99991400 (API
frequency) and 230020 (message-level). Nothing else: another 4xx or Lark code will fail the same way again.
Waits grow exponentially with jitter; Lark's `x-ogw-ratelimit-reset` is a lower bound when it is sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from .answer import Answer

RATE_LIMIT_CODES = frozenset({99991400, 230020})
"""Lark codes that mean "too many requests, try later"."""

TOKEN_CODES = frozenset({99991661, 99991663})
"""Lark codes that mean the tenant_access_token is missing, invalid or expired: fetch a new one."""


def is_retryable(answer: Answer) -> bool:
    """True for a failed answer that may succeed when sent again after a wait."""
    return answer.http_status >= 500 or answer.http_status == 429 or answer.code in RATE_LIMIT_CODES


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` tries of one request, and no retry starting later than `max_retry_seconds` after
    the first try began (a try itself can then still take up to the client's timeout).

    Retry n waits a random time in [½, 1] × min(`max_delay`, `base_delay` × 2ⁿ⁻¹) seconds, or Lark's rate-limit
    reset when that is longer: by default 0.25–0.5 s, 0.5–1 s, 1–2 s, then 2–4 s.
    """

    max_attempts: int = 4
    max_retry_seconds: float = 10.0
    base_delay: float = 0.5
    max_delay: float = 4.0
    jitter: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_retry_seconds < 0:
            raise ValueError("max_retry_seconds must not be negative")

    def wait(self, retry: int, reset_seconds: float | None = None) -> float:
        """Seconds to sleep before retry number `retry` (1 for the first retry)."""
        backoff = min(self.max_delay, self.base_delay * 2 ** (retry - 1)) * (0.5 + self.jitter() / 2)
        return max(backoff, reset_seconds or 0.0)

    def allows(self, retry: int, elapsed: float, wait: float) -> bool:
        """True when retry number `retry`, after `elapsed` seconds and a `wait`, stays within both bounds."""
        return retry < self.max_attempts and elapsed + wait <= self.max_retry_seconds
