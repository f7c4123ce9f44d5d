"""Implements a hook that does not exist (a typo)."""

from cardbot import hookimpl


@hookimpl
def cardbot_claims():
    return ["misspelt"]


@hookimpl
def cardbot_actoin(action):
    return None
