"""Help for admins: a click nobody handles is logged with the snippet that would handle it."""

from __future__ import annotations

import logging

from ..action import Action

log = logging.getLogger("cardbot.clicks")
_hinted: set[str | None] = set()


def hint_unclaimed(action: Action) -> None:
    """Log that no plugin claims the click (by button_type, nor by name); the first time per type, with how
    to claim it."""
    button_type = action.button_type
    if button_type is None:
        named = f"its component's name {action.name!r}" if action.name else "it has no component name"
        log.info("click on card %s (%s) has no button_type in its value %s and no plugin claims %s",
                 action.card_id, action.tag, dict(action.value), named)
        return
    if button_type in _hinted:
        log.warning("no enabled plugin claims button_type %r (message %s)", button_type, action.card_id)
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
        button_type, action.card_id, button_type,
    )
