"""Fixtures and options shared by the integration tests (helpers live in support.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from cardbot.testing import BotServer, LarkCallbacks
from backends import database_for, fresh_database, postgres_unavailable_reason
from support import ENCRYPT_KEY, STANDARD_CONFIG, VERIFICATION_TOKEN, start_server

FIGURES = pytest.StashKey[dict]()

@pytest.fixture
def kit() -> LarkCallbacks:
    """Builds callbacks exactly as Lark does for an app with both secrets configured."""
    return LarkCallbacks(VERIFICATION_TOKEN, ENCRYPT_KEY)


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory, module_database: str | None) -> Iterator[BotServer]:
    """One server with the standard test plugins, shared by a module's tests that use their own message
    ids (in a BOTH_BACKENDS module, one per backend)."""
    server = start_server(tmp_path_factory.mktemp("bot"), STANDARD_CONFIG, database=module_database)
    yield server
    server.stop()


BOTH_BACKENDS = {
    "test_admin_edits", "test_cli_cards", "test_click_identity", "test_click_outcomes", "test_concurrency",
    "test_crash_safety", "test_late_answers", "test_retention", "test_seed_flow", "test_sending", "test_vote",
    "test_under_attack", "test_plugin_containment", "test_events", "test_chat_commands",
}
"""Test modules whose tests touching storage run on SQLite and on PostgreSQL (a `backend` parameter)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test of a BOTH_BACKENDS module that uses a server or the store once per backend, and every test
    marked `both_backends`."""
    uses_storage = {"server_factory", "backend", "module_database", "database_url"} & set(metafunc.fixturenames)
    if metafunc.definition.get_closest_marker("both_backends") or (
            uses_storage and metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_BACKENDS):
        metafunc.parametrize("backend", ["sqlite", "postgres"], indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" (the default) or "postgres" (skipped, with how to run it, when no test server is set)."""
    name = getattr(request, "param", "sqlite")
    if name == "postgres":
        reason = postgres_unavailable_reason()
        if reason:
            pytest.skip(reason)
    return name


@pytest.fixture(scope="module")
def module_database(backend: str) -> Iterator[str | None]:
    """A PostgreSQL database for a module's shared server (None on SQLite: it uses its own file)."""
    with database_for(backend) as url:
        yield url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for a PostgreSQL-only test (skipped, with how to run it, when no test
    server is set), dropped afterwards."""
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_database() as url:
        yield url


@pytest.fixture
def database_url(backend: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database for one test, dropped afterwards (None on SQLite)."""
    with database_for(backend) as url:
        yield url


@pytest.fixture
def server_factory(tmp_path: Path, database_url: str | None) -> Iterator[Callable[..., BotServer]]:
    """Start servers with their own config for one test (on PostgreSQL all sharing the test's database);
    all are stopped afterwards."""
    started: list[BotServer] = []

    def start(plugins_toml: str, **kwargs: Any) -> BotServer:
        server = start_server(tmp_path / f"server{len(started)}", plugins_toml, database=database_url, **kwargs)
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


class _BackendFigures(dict):
    """Figures of a PostgreSQL variant land under their name with " [postgres]" added."""

    def __init__(self, into: dict[str, dict[str, Any]], suffix: str) -> None:
        super().__init__()
        self._into, self._suffix = into, suffix

    def __setitem__(self, name: str, values: dict[str, Any]) -> None:
        self._into[name + self._suffix] = values


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    """Where a reliability test records what it measured, printed at the end of the run."""
    collected = request.config.stash[FIGURES]
    callspec = getattr(request.node, "callspec", None)
    backend = callspec.params.get("backend", "sqlite") if callspec else "sqlite"
    return collected if backend == "sqlite" else _BackendFigures(collected, f" [{backend}]")
