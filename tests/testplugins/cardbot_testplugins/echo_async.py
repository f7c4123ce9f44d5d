"""An async plugin: same change as echo_sync, awaited on its own event loop (shared with its start-up hook)."""

import asyncio
import threading

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["echo_async"]


STARTED_ON = None
"""The thread cardbot_startup ran on: every async hook of one plugin shares one loop."""


@hookimpl
async def cardbot_startup():
    global STARTED_ON
    STARTED_ON = threading.current_thread().name


@hookimpl
async def cardbot_action(action):
    await asyncio.sleep(0)
    thread = threading.current_thread().name
    text = {"tag": "plain_text", "content": f"async by {action.operator.open_id}"}
    return Patch.button(action.button_id).merge({"text": text}).toast("success", f"async on {thread}, started on {STARTED_ON}")
