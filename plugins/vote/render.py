"""Find the vote buttons on a card and write "Label (N)" on each, plus the optional voters list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from cardbot import Patch

BUTTON_TYPE = "vote"
"""The button_type of a vote button: its value is `{"button_type": "vote", "option": KEY}`."""
VOTERS_ELEMENT_ID = "vote_voters"
CLOSES_ELEMENT_ID = "vote_closes"
"""The note saying when a poll closes; closing replaces it with the closed note."""
CLOSED_ELEMENT_ID = "vote_closed"
_COUNT_SUFFIX = re.compile(r" \(\d+\)$")


_TREES = re.compile(r"^(/elements|/body/elements|/i18n_elements/[^/]+)/")


@dataclass(frozen=True)
class VoteButton:
    """A vote button: the JSON Pointer of its text, that text, and its option."""

    text_path: str
    text: str
    option: str

    @property
    def tree_path(self) -> str:
        """The JSON Pointer of the top-level element list holding the button (one per locale)."""
        match = _TREES.match(self.text_path)
        return match.group(1) if match else ""


def vote_buttons(card: Any, path: str = "") -> Iterator[VoteButton]:
    """Every component whose value (1.0) or callback behaviour value (2.0) is a vote, in card order."""
    if isinstance(card, list):
        for index, item in enumerate(card):
            if isinstance(item, (dict, list)):
                yield from vote_buttons(item, f"{path}/{index}")
        return
    if not isinstance(card, dict):
        return
    option = _vote_option(card) if "value" in card or "behaviors" in card else None
    text = card.get("text")
    if option is not None and isinstance(text, dict) and isinstance(text.get("content"), str):
        yield VoteButton(f"{path}/text/content", text["content"], option)
        return
    for key, value in card.items():
        if key not in ("value", "behaviors") and isinstance(value, (dict, list)):
            yield from vote_buttons(value, f"{path}/{_escape(key)}")


def render_votes(card: dict, counts: dict[str, int], *, first_vote: bool, voters: dict[str, list[str]] | None,
                 max_voters_shown: int) -> Patch:
    """A JSON Patch writing each vote button's count (and the voters list when `voters` is given)."""
    buttons = list(vote_buttons(card))
    operations = [
        {"op": "replace", "path": button.text_path,
         "value": f"{_base_label(button.text, first_vote)} ({counts.get(button.option, 0)})"}
        for button in buttons
    ]
    patch = Patch.json_patch(operations)
    if voters is not None and buttons:
        patch = patch + _voters_patch(card, buttons, voters, max_voters_shown)
    return patch


def _voters_patch(card: dict, buttons: list[VoteButton], voters: dict[str, list[str]], limit: int) -> Patch:
    lines = []
    for option in dict.fromkeys(button.option for button in buttons):
        chosen = voters.get(option, [])
        shown = " ".join(f"<at id={voter}></at>" for voter in chosen[:limit])
        more = f" and {len(chosen) - limit} more" if len(chosen) > limit else ""
        lines.append(f"**{option}**: {shown or '-'}{more}")
    element = {"tag": "markdown", "element_id": VOTERS_ELEMENT_ID, "content": "\n".join(lines)}
    if _has_element_id(card, VOTERS_ELEMENT_ID):
        return Patch.element(VOTERS_ELEMENT_ID).replace(element)
    trees = dict.fromkeys(button.tree_path for button in buttons if button.tree_path)
    return Patch.json_patch([{"op": "add", "path": f"{tree}/-", "value": element} for tree in trees])


def _vote_option(component: dict) -> str | None:
    values = [component.get("value")] + [b.get("value") for b in component.get("behaviors") or []
                                         if isinstance(b, dict)]
    for value in values:
        if isinstance(value, dict) and value.get("button_type") == BUTTON_TYPE and isinstance(value.get("option"), str):
            return value["option"]
    return None


def _base_label(text: str, first_vote: bool) -> str:
    """The label without the count this plugin appended (the first vote finds none to strip)."""
    return text if first_vote else _COUNT_SUFFIX.sub("", text)


def _has_element_id(card: Any, element_id: str) -> bool:
    if isinstance(card, dict):
        return card.get("element_id") == element_id or any(_has_element_id(v, element_id) for v in card.values())
    if isinstance(card, list):
        return any(_has_element_id(item, element_id) for item in card)
    return False


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def closed_patch(card: dict, counts: dict[str, int], first_vote: bool) -> Patch:
    """Close the poll: each vote button keeps "Label (N)" but is disabled and calls back no more, and a
    closed note replaces the closing time (or is added under the buttons)."""
    buttons = list(vote_buttons(card))
    operations: list[dict] = []
    for button in buttons:
        element = button.text_path.removesuffix("/text/content")
        operations.append({"op": "replace", "path": button.text_path,
                           "value": f"{_base_label(button.text, first_vote)} ({counts.get(button.option, 0)})"})
        operations.append({"op": "add", "path": f"{element}/disabled", "value": True})
        for member in ("behaviors", "value"):
            if _member(card, element, member):
                operations.append({"op": "remove", "path": f"{element}/{member}"})
    total = sum(counts.get(option, 0) for option in dict.fromkeys(button.option for button in buttons))
    note = {"tag": "markdown", "element_id": CLOSED_ELEMENT_ID, "content": f"**Closed**: {total} vote(s) in all"}
    patch = Patch.json_patch(operations)
    if _has_element_id(card, CLOSES_ELEMENT_ID):
        return patch + Patch.element(CLOSES_ELEMENT_ID).replace(note)
    trees = dict.fromkeys(button.tree_path for button in buttons if button.tree_path)
    return patch + Patch.json_patch([{"op": "add", "path": f"{tree}/-", "value": note} for tree in trees])



def _member(card: Any, pointer: str, member: str) -> bool:
    node = card
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node.get(part)
    return isinstance(node, dict) and member in node
