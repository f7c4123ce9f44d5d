"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backends import fresh_database, postgres_unavailable_reason

from cardbot.lark import LarkClient
from cardbot.testing import FakeLarkPlatform


class Clock:
    """Time that moves only when the code under test sleeps (the waits are recorded) or a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def lark(clock: Clock):
    """The stand-in Lark platform on the test's clock (a test module may define its own `lark`)."""
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", clock=clock) as platform:
        yield platform


@pytest.fixture
def client(lark: FakeLarkPlatform, clock: Clock):
    """A LarkClient of the stand-in's app, sleeping on the test's clock."""
    with LarkClient("cli_test", "secret", lark.base_url, clock=clock, sleep=clock.sleep) as client:
        yield client


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """A fresh database for one test, on each backend: a SQLite file, then a PostgreSQL database (skipped,
    saying how to run it, when no test server is set)."""
    if request.param == "sqlite":
        yield tmp_path / "cardbot.db"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_database() as url:
        yield url
