"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest


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
