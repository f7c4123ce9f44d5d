"""An async plugin: same change as echo_sync, awaited on the event loop."""

import asyncio
import threading

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["echo_async"]


@hookimpl
async def cardbot_action(action):
    await asyncio.sleep(0)
    thread = threading.current_thread().name
    text = {"tag": "plain_text", "content": f"async by {action.operator.open_id}"}
    return Patch.button(action.button_id).merge({"text": text}).toast("success", f"async on {thread}")
