"""Describing what a plugin raised, whatever it raised.

    describe(error)     # "RuntimeError: boom", even when str(error) itself raises
"""

from __future__ import annotations


class HookEscaped(Exception):
    """A hook raised a BaseException that is not an Exception (SystemExit, KeyboardInterrupt, …);
    `error` is what it raised. Carried as an ordinary exception so no event loop or thread dies of it."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(type(error).__name__)
        self.error = error


def describe(error: BaseException) -> str:
    """`Type: message` of an exception a plugin raised (the original one for HookEscaped)."""
    if isinstance(error, HookEscaped):
        error = error.error
    text = readable_message(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def readable_message(error: BaseException) -> str:
    """`str(error)`, or "" when that raises (a broken `__str__` is the plugin's bug, never the bot's)."""
    try:
        return str(error)
    except BaseException:  # noqa: BLE001
        return ""
