"""Claims echo_sync too, to make a conflict with the echo_sync plugin."""

from cardbot import hookimpl


@hookimpl
def cardbot_claims():
    return ["echo_sync"]


@hookimpl
def cardbot_action(action):
    return None
