"""Exceptions cardbot raises; each carries a message written for the person who has to act on it."""

from __future__ import annotations

from .toast import check_i18n


class CardbotError(Exception):
    """Base class of every error cardbot raises on purpose."""


class ConfigError(CardbotError):
    """`plugins.toml`, the environment or a plugin set-up is wrong; start-up stops with this message."""


class CallbackRejected(CardbotError):
    """A callback that is refused before any plugin sees it, with the HTTP status to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class PatchError(CardbotError):
    """A patch cannot be applied to the stored card (bad operation, missing target, …)."""


class CardInvalid(CardbotError):
    """A card breaks one of Lark's rules (size, element ids, schema); the message says which."""


class StoreBusy(CardbotError):
    """The database cannot take a write now; the click is answered with a retry toast. Nothing of the
    failed write was stored. `state` says why: "busy" (locked past the configured wait), "full",
    "malformed", "missing", "read-only" or "io-error" (see core/store/faults.py)."""

    def __init__(self, message: str, state: str = "busy") -> None:
        super().__init__(message)
        self.state = state


class ActionFailed(CardbotError):
    """Raise from a hook to tell the person why nothing happened: `raise ActionFailed("Release failed: …")`.

    The message is shown in an error toast; the card and the plugin's state stay as they were. `i18n` gives
    translations by Lark locale key (`{"zh_cn": "发布失败：…"}`, keys in `cardbot.toast.LARK_LOCALES`); a
    bad one is a TypeError here, where it is raised. English (`en_us`) defaults to the message.
    """

    def __init__(self, message: str = "", *, i18n: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.i18n: dict[str, str] = {} if i18n is None else check_i18n(i18n, "ActionFailed i18n")
