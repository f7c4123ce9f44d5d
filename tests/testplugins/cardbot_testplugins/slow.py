"""Plugins that take their time: finish late, fail late, or hang (the value says how long)."""

import asyncio
import time

from cardbot import ActionFailed, Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["slow", "slow_fail", "hang"]


@hookimpl
async def cardbot_action(action, bot):
    kind = action.button_type
    if kind == "hang":
        await asyncio.to_thread(time.sleep, 3600)  # a blocking call that never returns in time
    await asyncio.sleep(float(action.value.get("seconds", 1)))
    if kind == "slow_fail":
        raise ActionFailed("took long, then failed")
    done = {"tag": "div", "text": {"tag": "plain_text", "content": f"done for {action.operator.open_id}"}}
    return Patch.button(action.button_id).replace(done).toast("success", "done")
