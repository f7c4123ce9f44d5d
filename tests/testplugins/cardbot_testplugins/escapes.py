"""Plugins whose hooks raise what no plugin should: SystemExit, KeyboardInterrupt, other BaseExceptions,
and an exception whose str() itself raises. `SYNC` and `ASYNC` are two plugins (module = "…:SYNC")."""

import sys

from cardbot import ActionFailed, hookimpl


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("str() of this exception raises")


class UnprintableRefusal(ActionFailed):
    def __str__(self):
        raise RuntimeError("str() of this refusal raises")


class Custom(BaseException):
    """A BaseException that is neither an Exception nor a cancellation."""


def _escape(kind: str):
    if kind.startswith("exit"):
        sys.exit(3)
    if kind.startswith("interrupt"):
        raise KeyboardInterrupt
    if kind.startswith("custom"):
        raise Custom("custom base exception")
    if kind.startswith("unprintable_refusal"):
        raise UnprintableRefusal()
    if kind.startswith("unprintable"):
        raise Unprintable()
    raise AssertionError(kind)


KINDS = ("exit", "interrupt", "custom", "unprintable", "unprintable_refusal")


class SYNC:
    @staticmethod
    @hookimpl
    def cardbot_claims():
        return [f"{kind}_sync" for kind in KINDS]

    @staticmethod
    @hookimpl
    def cardbot_action(action, state):
        state.card.set("touched", True)  # must never be committed
        _escape(action.button_type)


class ASYNC:
    @staticmethod
    @hookimpl
    def cardbot_claims():
        return [f"{kind}_async" for kind in KINDS]

    @staticmethod
    @hookimpl
    async def cardbot_action(action, state):
        state.card.set("touched", True)
        _escape(action.button_type)
