"""Logs each click through its own logger, `cardbot.plugin_logger("diary")`, and changes nothing."""

from cardbot import hookimpl, plugin_logger

log = plugin_logger("diary")


@hookimpl
def cardbot_claims():
    return ["diary"]


@hookimpl
def cardbot_action(action):
    log.info("clicked by %s", action.operator.id)
