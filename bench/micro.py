"""In-process micro-benchmark: the vote plugin's JSON Patch applied to a 30 KB poll card and validated."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from cardbot.patches import apply_patch, card_size, validate_card
from cardbot_plugins.vote.render import render_votes

from .workloads import LARGE_CARD, OPTIONS, poll_card

TARGET_MS = 2.0


@dataclass(frozen=True)
class MicroResult:
    """Median and 99th percentile of one apply + validate, over `runs` runs, on a card of `card_bytes`."""

    card_bytes: int
    runs: int
    median_ms: float
    p99_ms: float


def patch_30kb_card(runs: int = 2000) -> MicroResult:
    """Time `apply_patch` + `validate_card` of the patch the vote plugin returns for a vote (every button
    relabelled "Label (N)") on a poll card padded to just under 30 KB."""
    card = poll_card(LARGE_CARD)
    patch = render_votes(card, {option: 7 for option in OPTIONS}, first_vote=True, voters=None,
                         max_voters_shown=20)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        updated = apply_patch(card, patch)
        validate_card(updated, before=card)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return MicroResult(card_size(card), runs, statistics.median(timings), timings[int(runs * 0.99) - 1])
