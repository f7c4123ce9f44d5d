"""A plain (sync) plugin: marks the clicked button with who clicked and which thread ran the hook.

A button whose value has `"quiet": true` changes nothing: the hook returns None.
"""

import threading

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["echo_sync"]


@hookimpl
def cardbot_action(action, config):
    if action.value.get("quiet"):
        return None
    thread = threading.current_thread().name
    text = {"tag": "plain_text", "content": f"{config.get('label', 'clicked')} by {action.operator.id}"}
    return Patch.button(action.button_id).merge({"text": text}).toast("success", f"sync on {thread}")
