"""A plain-function plugin that blocks for the seconds in its value, logging when each call starts and ends."""

import os
import time
from pathlib import Path

from cardbot import Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["sync_sleep"]


@hookimpl
def cardbot_action(action):
    log = Path(os.environ["CARDBOT_TEST_MARKER_DIR"], "sync_sleep.log")
    with log.open("a") as out:
        out.write(f"start {action.operator.open_id} {time.time()}\n")
    time.sleep(float(action.value["seconds"]))
    with log.open("a") as out:
        out.write(f"end {action.operator.open_id} {time.time()}\n")
    return Patch.toast("success", "slept")
