"""An async plugin that promises never to block, so it runs on the serving loop (no thread hop); a value
with `break_promise: SECONDS` makes it block that loop anyway."""

import threading
import time

from cardbot import Patch, hookimpl

CARDBOT_SHARES_SERVING_LOOP = True


@hookimpl
def cardbot_claims():
    return ["echo_shared"]


@hookimpl
async def cardbot_action(action):
    if "break_promise" in action.value:
        time.sleep(float(action.value["break_promise"]))
    thread = threading.current_thread().name
    return Patch.button(action.button_id).merge({"disabled": True}).toast("success", f"async on {thread}")
