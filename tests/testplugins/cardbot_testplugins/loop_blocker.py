"""An async plugin that blocks its event loop (time.sleep in an async def), as careless plugins do.

The value's `seconds` says how long; a marker file says the block has begun."""

import os
import time
from pathlib import Path

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["block_loop"]


@hookimpl
async def cardbot_action(action):
    Path(os.environ["CARDBOT_TEST_MARKER_DIR"], f"blocking-{action.message_id}").touch()
    time.sleep(float(action.value.get("seconds", 3)))  # the mistake: blocks the loop it runs on
    return Patch.button(action.button_id).merge({"text": {"tag": "plain_text", "content": "unblocked"}})
