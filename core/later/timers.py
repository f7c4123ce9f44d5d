"""`Timers`: work a plugin schedules for later, under a key of its own, committed with the delivery that
schedules it; and `Timer`, what `cardbot_timer` is given when one is due.

    timers.schedule("close", after=timedelta(minutes=10), payload={"poll": 7}, card=action.card_id)
    timers.cancel("close")

A key is the plugin's own: scheduling it again replaces it (and it runs once more at the new time).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from ..frozen import freeze
from ..jsoncodec import dumps
from ..store.effects import TimerChange
from .outbox import Outgoing

MAX_KEY = 200


@dataclass(frozen=True, slots=True)
class Timer:
    """A due timer as its hook gets it: its key, payload (read-only JSON), when it was due, and its card."""

    plugin: str
    key: str
    due_at: datetime
    payload: Any = None
    card_id: str | None = None
    """The card it targets (when scheduled with `card=`): the hook then runs under that card's turn."""
    card_never_sent: bool = False
    """It targeted a card in the outbox whose send failed for good: `card_id` is None."""


class Timers:
    """Collects one delivery's timer changes; cardbot commits them with it."""

    def __init__(self, plugin: str, clock: Callable[[], float] = time.time) -> None:
        self._plugin = plugin
        self._clock = clock
        self._changes: list[TimerChange] = []

    def schedule(self, key: str, *, at: datetime | float | None = None, after: timedelta | float | None = None,
                 payload: Any = None, card: str | Outgoing | None = None) -> None:
        """Run this plugin's `cardbot_timer` for `key` at `at` (an aware datetime, or epoch seconds) or
        `after` a delay (a timedelta, or seconds), with `payload` (JSON). `card` is a stored card's id, or
        an `Outgoing` from the outbox (the timer then waits until that card is sent)."""
        _check_key(key)
        if (at is None) == (after is None):
            raise ValueError("schedule a timer with exactly one of at= or after=")
        due = _epoch(at) if at is not None else self._clock() + _seconds(after)
        try:
            payload_json = dumps(payload)
            freeze(payload)
        except (TypeError, ValueError) as error:
            raise TypeError(f"a timer's payload must be JSON: {error}") from None
        card_id = card if isinstance(card, str) else None
        outbox_id = card.id if isinstance(card, Outgoing) else None
        if card is not None and not (card_id or outbox_id):
            raise TypeError(f"card= is a card id or an Outgoing from the outbox, not {card!r}")
        self._changes.append(TimerChange(self._plugin, key, due, payload_json, card_id, outbox_id, uuid.uuid4().hex))

    def cancel(self, key: str) -> None:
        """Cancel this plugin's timer `key`, if it is set (nothing happens otherwise)."""
        _check_key(key)
        self._changes.append(TimerChange(self._plugin, key, None))

    def changes(self) -> tuple[TimerChange, ...]:
        """The last change asked for each key, in order."""
        last = {change.key: change for change in self._changes}
        return tuple(last.values())


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise ValueError(f"a timer's key is a non-empty str of at most {MAX_KEY} characters, not {key!r}")


def _epoch(at: datetime | float) -> float:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("a timer's at= datetime needs a timezone (datetime.now(timezone.utc), ZoneInfo(...))")
        return at.timestamp()
    if isinstance(at, (int, float)) and not isinstance(at, bool):
        return float(at)
    raise TypeError(f"at= is an aware datetime or epoch seconds, not {at!r}")


def _seconds(after: timedelta | float | None) -> float:
    if isinstance(after, timedelta):
        return after.total_seconds()
    if isinstance(after, (int, float)) and not isinstance(after, bool):
        return float(after)
    raise TypeError(f"after= is a timedelta or seconds, not {after!r}")


def due_datetime(epoch: float) -> datetime:
    """A due time as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, timezone.utc)
