"""Turn what a hook collected in its `outbox` and `timers` into the Effects its delivery commits."""

from __future__ import annotations

from ..store.effects import Effects
from .outbox import Outbox
from .timers import Timers


def later(source: str, source_card: str | None, outbox: Outbox, timers: Timers) -> Effects | None:
    """The Effects of delivery `source` (on card `source_card`), or None when it asked for nothing."""
    effects = Effects(source=source, source_card=source_card, outbox=outbox.entries(), timers=timers.changes())
    return effects or None
