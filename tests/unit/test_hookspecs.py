"""The hook specifications promise nothing cardbot does not do: cardbot calls one plugin's implementation
itself, never through pluggy's result collection, so no spec carries pluggy-only options."""

from __future__ import annotations

import pluggy
import pytest

from cardbot import hookspecs

HOOKS = [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT_NAME}_")]


@pytest.mark.parametrize("name", HOOKS)
def test_no_hook_spec_asks_pluggy_for_a_first_result_or_history(name):
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    opts = getattr(manager.hook, name).spec.opts
    assert opts["firstresult"] is False and opts["historic"] is False, opts


def test_every_hook_is_specified():
    assert set(HOOKS) == {"cardbot_claims", "cardbot_check_config", "cardbot_startup", "cardbot_shutdown",
                          "cardbot_action", "cardbot_command", "cardbot_message", "cardbot_event",
                          "cardbot_link_preview", "cardbot_timer"}
