"""Lark's timestamps: decimal strings in seconds, milliseconds or microseconds, read as one thing.

    created_at = timestamp_datetime(header.get("create_time"))   # aware UTC datetime, or None
"""

from __future__ import annotations

from datetime import datetime, timezone


def timestamp_seconds(value: object) -> float | None:
    """Epoch seconds of a Lark timestamp string (its unit guessed from its size), or None when it is not one.

    `header.create_time` is documented in microseconds; the official CLI's tests and events use milliseconds.
    """
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20):
        return None
    number = int(value)
    return number / 1e6 if number > 1e14 else number / 1e3 if number > 1e11 else float(number)


def timestamp_datetime(value: object) -> datetime | None:
    """The timestamp as an aware UTC datetime, or None when `value` is not a Lark timestamp."""
    seconds = timestamp_seconds(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):  # past what datetime can hold
        return None
