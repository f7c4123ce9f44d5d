"""Runtime.stop runs once: Sanic 25.12 may run a worker's stop listener again while its first run goes on."""

from __future__ import annotations

import asyncio
import logging

from cardbot.config import LarkSecrets, load_config
from cardbot.runtime import Runtime


def test_a_second_stop_waits_for_the_first_and_submits_nothing_to_closed_pools(tmp_path, caplog):
    config_path = tmp_path / "plugins.toml"
    config_path.write_text('[bot]\ndatabase = "cardbot.db"\n[plugins.publish]\nenabled = true\n', encoding="utf-8")
    config = load_config(config_path)

    async def start_then_stop_twice() -> None:
        runtime = await Runtime.start(config, LarkSecrets())
        first = asyncio.ensure_future(runtime.stop())  # interrupted by the loop, yet still running...
        await asyncio.sleep(0)
        await runtime.stop()  # ...when Sanic runs the listener again
        await first
        await runtime.stop()  # and once more after both finished

    with caplog.at_level(logging.INFO, logger="cardbot"):
        asyncio.run(start_then_stop_twice())
    failures = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert failures == []  # was: plugin 'publish': cardbot_shutdown failed (the plugin-publish pool is shut down)
