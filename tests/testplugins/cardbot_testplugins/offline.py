"""A plugin the tests leave off: importing it leaves a marker file, which must never appear."""

import os
from pathlib import Path

from cardbot import Patch, hookimpl

Path(os.environ["CARDBOT_TEST_MARKER_DIR"], "offline-imported").write_text("imported")


@hookimpl
def cardbot_claims():
    return ["offline"]


@hookimpl
def cardbot_action():
    return Patch.toast("success", "offline ran")
