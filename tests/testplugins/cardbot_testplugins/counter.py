"""A stateful plugin: counts clicks per card in state.card and across cards in state.plugin.

A `seconds` in the button's value makes it take that long first (still within the deadline).
"""

import asyncio

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["count"]


@hookimpl
async def cardbot_action(action, state):
    await asyncio.sleep(float(action.value.get("seconds", 0)))
    count = state.card.get("count", 0) + 1
    state.card.set("count", count)
    state.card.set(f"clicker:{action.operator.open_id}", count)
    state.plugin.add("total")
    text = {"tag": "plain_text", "content": f"count {count}"}
    return Patch.button(action.button_id).merge({"text": text}).toast("info", f"count {count}")
