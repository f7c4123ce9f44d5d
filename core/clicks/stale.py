"""Step 7, the stale-click guard: is the clicked component still on the card as stored now?

A click carries what identifies its component: its callback value (an object or a string), and for
form fields, form submit buttons, inputs and pickers its `name`. A value that is not empty must still be
on the card; with no value (a form submit button has none) or an empty one (`{}`, as pickers and inputs
often send), the component's `name` must be. A click that names nothing, and any click on a template card
(whose elements are Lark's), cannot be checked and passes.
"""

from __future__ import annotations

from ..action import Action
from ..patches import card_has_name, card_has_value, is_template


def component_on_card(card: dict, action: Action) -> bool:
    """True unless the component `action` came from is provably gone from `card`."""
    if is_template(card):
        return True
    value = action.raw_value
    if value:
        return card_has_value(card, value)
    if action.name:
        return card_has_name(card, action.name)
    return True
