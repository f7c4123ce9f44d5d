"""$name: a card with a "Wave back" button that counts the waves it gets.

    hello_card("world")      # the card to send (cards/hello.json plus the button)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files

from cardbot import Action, Patch, Router, State, plugin_logger

router = Router()
log = plugin_logger("$name")


@dataclass(frozen=True)
class Greeting:
    """What the button carries: who the card greets."""

    who: str


def hello_card(who: str) -> dict:
    """The card to send: cards/hello.json (shipped with the package) with a button routed to `wave`."""
    card = json.loads(files(__package__).joinpath("cards/hello.json").read_text(encoding="utf-8"))
    card["body"]["elements"][0]["content"] = f"Hello, {who}!"
    card["body"]["elements"].append(router.button("Wave back", Greeting(who), route=wave, element_id="wave"))
    return card


@router.click("$name", value=Greeting)
def wave(action: Action, value: Greeting, state: State) -> Patch:
    """A click on "Wave back": count it on the card."""
    waves = state.card.get("waves", 0) + 1
    state.card.set("waves", waves)
    log.info("%s waved at %s (%d so far)", action.operator.id, value.who, waves)
    return Patch.element("status").merge({"content": f"Hello, {value.who}! {waves} wave(s) so far."}) \
        .toast("success", "Waved!")
