"""Fixtures and options shared by the integration tests (helpers live in support.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cardbot.testing import BotServer, LarkCallbacks
from support import ENCRYPT_KEY, STANDARD_CONFIG, VERIFICATION_TOKEN, start_server

FIGURES = pytest.StashKey[dict]()

@pytest.fixture
def kit() -> LarkCallbacks:
    """Builds callbacks exactly as Lark does for an app with both secrets configured."""
    return LarkCallbacks(VERIFICATION_TOKEN, ENCRYPT_KEY)


@pytest.fixture(scope="session")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServer]:
    """One server with the standard test plugins, shared by tests that use their own message ids."""
    server = start_server(tmp_path_factory.mktemp("bot"), STANDARD_CONFIG)
    yield server
    server.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., BotServer]]:
    """Start servers with their own config for one test; all are stopped afterwards."""
    started: list[BotServer] = []

    def start(plugins_toml: str, **kwargs: Any) -> BotServer:
        server = start_server(tmp_path / f"server{len(started)}", plugins_toml, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true",
                     help="run the reliability tests longer (more crash rounds, fuzz cases, clickers)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FIGURES] = {}


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands the figures it measured to the controller, which prints them."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["figures"] = json.dumps(session.config.stash.get(FIGURES, {}), default=str)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # pytest-xdist's hook, on the controller
    figures = getattr(node, "workeroutput", {}).get("figures")
    if figures:
        node.config.stash[FIGURES].update(json.loads(figures))


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Print the figures the reliability tests measured (docs/reliability.md quotes them)."""
    figures = config.stash.get(FIGURES, {})
    if figures:
        terminalreporter.section("reliability figures")
        for name, values in figures.items():
            terminalreporter.write_line(f"{name}: " + ", ".join(f"{key}={value}" for key, value in values.items()))


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    """Where a reliability test records what it measured, printed at the end of the run."""
    return request.config.stash[FIGURES]
