"""Requires `level` in its config to be an integer."""

from cardbot import ConfigError, hookimpl


@hookimpl
def cardbot_check_config(config):
    if not isinstance(config.get("level"), int):
        raise ConfigError("level must be an integer")


@hookimpl
def cardbot_claims():
    return ["picky"]


@hookimpl
def cardbot_action(action):
    return None
