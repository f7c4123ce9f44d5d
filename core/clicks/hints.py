"""Help for admins: a click nobody handles is logged with the snippet that would handle it."""

from __future__ import annotations

import logging

from ..action import Action

log = logging.getLogger("cardbot.clicks")
_hinted: set[str | None] = set()


def hint_unclaimed(action: Action) -> None:
    """Log that no plugin claims the clicked button_type; the first time per type, with how to claim it."""
    button_type = action.button_type
    if button_type is None:
        log.info("click on message %s has no button_type in its value %s; no plugin can own it",
                 action.message_id, dict(action.value))
        return
    if button_type in _hinted:
        log.warning("no enabled plugin claims button_type %r (message %s)", button_type, action.message_id)
        return
    _hinted.add(button_type)
    log.warning(
        "no enabled plugin claims button_type %r (message %s). To handle it, add to a plugin:\n\n"
        "    from cardbot import hookimpl, Patch\n\n"
        "    @hookimpl\n"
        "    def cardbot_claims():\n"
        "        return [%r]\n\n"
        "    @hookimpl\n"
        "    def cardbot_action(action, card, config):\n"
        "        return Patch.toast(\"success\", \"Done\")\n\n"
        "and turn that plugin on in plugins.toml ([plugins.NAME] enabled = true); "
        "`python bot.py plugins list` shows what is on and what it claims.",
        button_type, action.message_id, button_type,
    )
