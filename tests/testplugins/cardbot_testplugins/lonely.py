"""Claims a command but implements no cardbot_command (a mistake start-up refuses)."""

from cardbot import hookimpl


@hookimpl
def cardbot_claims():
    return {"commands": ["alone"]}
