"""Step 3 of the lean reference: what the vote plugin does on a stored poll card (stale guard, closed poll, the
vote moved, every vote button relabelled, the size checked), in place.

    result = vote(card, state, click)      # Result(outcome, toast, card, card_json, patch_json, state)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from .toasts import CLOSED, COUNTED, FAILED, NO_OPTION, SAME, STALE
from .verify import Click

MAX_CARD_BYTES = 30 * 1024
_COUNT_SUFFIX = re.compile(r" \(\d+\)$")


def vote_buttons(node: Any, path: str = "") -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """(button, JSON Pointer of its text, its vote value) for every vote button (JSON 1.0 `value` or 2.0
    callback `behaviors`), in card order."""
    found: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += vote_buttons(item, f"{path}/{index}")
    elif isinstance(node, dict):
        values = [node.get("value")] + [b.get("value") for b in node.get("behaviors") or () if isinstance(b, dict)]
        value = next((v for v in values if isinstance(v, dict) and v.get("button_type") == "vote"
                      and isinstance(v.get("option"), str)), None)
        text = node.get("text")
        if value is not None and isinstance(text, dict) and isinstance(text.get("content"), str):
            return [(node, f"{path}/text/content", value)]
        for key, item in node.items():
            if key not in ("value", "behaviors") and isinstance(item, (dict, list)):
                found += vote_buttons(item, f"{path}/{key.replace('~', '~0').replace('/', '~1')}")
    return found


@dataclass(frozen=True, slots=True)
class Result:
    """How a click ends: its toast, the card to answer (None: unchanged), and what to commit."""

    outcome: str
    toast: dict[str, Any]
    card: dict[str, Any] | None = None
    card_json: bytes = b""
    patch_json: bytes = b""
    state: tuple[tuple[str, str], ...] = ()


def vote(card: dict[str, Any], state: dict[str, str], click: Click) -> Result:
    """The vote plugin's step: stale guard, closed poll, move the vote, relabel, size check."""
    buttons = vote_buttons(card)
    if not any(value == click.value for _, _, value in buttons):
        return Result("stale", STALE, card)
    if state.get("closed") not in (None, "false", "null"):
        return Result("done", CLOSED)
    option = click.value.get("option") if isinstance(click.value, dict) else None
    if not isinstance(option, str) or not option:
        return Result("declined", NO_OPTION)
    voter = f"voter:{click.operator}"
    previous = orjson.loads(state[voter]) if voter in state else None
    if previous == option:
        return Result("done", SAME)
    first_vote = "counts" not in state
    counts: dict[str, int] = {} if first_vote else orjson.loads(state["counts"])
    if previous is not None:
        counts[previous] = max(0, counts.get(previous, 0) - 1)
    counts[option] = counts.get(option, 0) + 1
    ops = []
    for button, path, value in buttons:
        text = button["text"]["content"]
        label = f"{text if first_vote else _COUNT_SUFFIX.sub('', text)} ({counts.get(value['option'], 0)})"
        button["text"]["content"] = label
        ops.append({"op": "replace", "path": path, "value": label})
    card_json = orjson.dumps(card)
    if len(card_json) > MAX_CARD_BYTES:
        return Result("failed", FAILED)
    return Result("done", COUNTED, card, card_json, orjson.dumps({"ops": ops, "toast": COUNTED}),
                  (("counts", orjson.dumps(counts).decode()), (voter, orjson.dumps(option).decode())))
