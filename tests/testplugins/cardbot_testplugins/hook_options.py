"""Plugins marking hooks with pluggy options cardbot does not honour; start-up must refuse each."""

from cardbot import Patch, hookimpl


class Wrapper:
    """A new-style wrapper around cardbot_action (it would load, then fail every click)."""

    @staticmethod
    @hookimpl
    def cardbot_claims():
        return ["wrapped"]

    @staticmethod
    @hookimpl(wrapper=True)
    def cardbot_action():
        result = yield
        return result


class OldWrapper:
    @staticmethod
    @hookimpl(hookwrapper=True)
    def cardbot_action():
        yield


class First:
    @staticmethod
    @hookimpl(tryfirst=True)
    def cardbot_action():
        return Patch().toast("success", "first")


class Last:
    @staticmethod
    @hookimpl(trylast=True)
    def cardbot_claims():
        return ["last"]
