"""cardbot's pytest plugin, loaded into every pytest run where cardbot is installed (the `pytest11` entry point):
fixtures for testing plugins, and nothing else (no autouse fixture, no option, no hook).

    def test_approve(cardbot_harness):
        bot = cardbot_harness("approvals", config={"approvers": ["ou_boss"]})
        bot.put_card("om_1", CARD)
        assert bot.click("om_1", "approve", as_="ou_boss").toast.content == "Approved"

| fixture | gives |
|---|---|
| `cardbot_harness` | `make(plugins, **options) -> Harness`: started in-process harnesses, closed after the test |
| `cardbot_server` | `make(plugins_toml, **options) -> BotServer`: started server processes in `tmp_path`, stopped after |
| `cardbot_lark` | a `LarkCallbacks` with the secrets `cardbot_server` gives its servers (`CARDBOT_TEST_SECRETS`) |
| `cardbot_lark_platform` | a running `FakeLarkPlatform` (app `cli_test` / `secret`) for the test |

Everything is imported when a fixture is used, so loading the plugin costs a run nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .callbacks import LarkCallbacks
    from .harness import Harness
    from .lark_platform import FakeLarkPlatform
    from .server import BotServer

CARDBOT_TEST_SECRETS = {"LARK_VERIFICATION_TOKEN": "cardbot-test-token", "LARK_ENCRYPT_KEY": "cardbot-test-key"}
"""The callback secrets `cardbot_server` starts servers with and `cardbot_lark` signs with."""


@pytest.fixture
def cardbot_harness() -> Iterator[Callable[..., Harness]]:
    """`make(plugins, *, config=None, module=None, bot=None, directory=None)`: a started `Harness` (see its
    docs); every harness made is closed when the test ends."""
    from .harness import Harness

    made: list[Harness] = []

    def make(plugins: Any, **options: Any) -> Harness:
        harness = Harness(plugins, **options).start()
        made.append(harness)
        return harness

    yield make
    for harness in reversed(made):
        harness.close()


@pytest.fixture
def cardbot_server(tmp_path: Path) -> Iterator[Callable[..., BotServer]]:
    """`make(plugins_toml, *, env=None, workers=1, dev=False, extra_pythonpath=())`: a started `BotServer` in a
    folder of `tmp_path`, with `CARDBOT_TEST_SECRETS` (plus `env`); all are stopped when the test ends."""
    from .server import BotServer

    made: list[BotServer] = []

    def make(plugins_toml: str, *, env: dict[str, str] | None = None, **options: Any) -> BotServer:
        server = BotServer(tmp_path / f"cardbot-server-{len(made)}", plugins_toml=plugins_toml,
                           env={**CARDBOT_TEST_SECRETS, **(env or {})}, **options)
        made.append(server)
        return server.start()

    yield make
    for server in reversed(made):
        server.stop()


@pytest.fixture
def cardbot_lark() -> LarkCallbacks:
    """Builds callbacks as Lark does, with the secrets of `cardbot_server`'s servers."""
    from .callbacks import LarkCallbacks

    return LarkCallbacks(CARDBOT_TEST_SECRETS["LARK_VERIFICATION_TOKEN"], CARDBOT_TEST_SECRETS["LARK_ENCRYPT_KEY"])


@pytest.fixture
def cardbot_lark_platform() -> Iterator[FakeLarkPlatform]:
    """A running stand-in Lark open platform for app `cli_test` / `secret`; give a server its `env()`."""
    from .lark_platform import FakeLarkPlatform

    with FakeLarkPlatform("cli_test", "secret") as platform:
        yield platform
