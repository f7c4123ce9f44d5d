"""A plain (sync) plugin: marks the clicked button with who clicked and which thread ran the hook."""

import threading

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["echo_sync"]


@hookimpl
def cardbot_action(action, config):
    thread = threading.current_thread().name
    text = {"tag": "plain_text", "content": f"{config.get('label', 'clicked')} by {action.operator.open_id}"}
    return Patch.button(action.button_id).merge({"text": text}).toast("success", f"sync on {thread}")
