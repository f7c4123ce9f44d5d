"""The test kit's BotServer: a real `bot.py serve` process that refuses to be started twice."""

from __future__ import annotations

import pytest

from support import STANDARD_CONFIG


def test_starting_a_running_server_again_is_refused(server_factory):
    server = server_factory(STANDARD_CONFIG)
    first = server.process
    with pytest.raises(RuntimeError, match="already running"):
        server.start()
    assert server.process is first and first.poll() is None
    server.stop()
    server.start()  # once stopped, it starts again
    assert server.process is not first and server.process.poll() is None
