"""Card patches: what a plugin returns, how the core applies it, and the rules a card must keep.

    patch = Patch.button(action.value["button_id"]).replace(done_div).toast("success", "已完成")
    new_card = apply_patch(stored_card, patch)
    validate_card(new_card, before=stored_card)
"""

from .apply import apply_patch
from .elements import ElementSlot, card_has_name, card_has_value, iter_elements, locales_with_value
from .patch import ElementTarget, Patch
from .schema import MAX_CARD_BYTES, card_schema, card_size, is_shared
from .templates import is_template
from .validate import MAX_CARD_DEPTH, card_json, validate_card

__all__ = [
    "MAX_CARD_BYTES",
    "MAX_CARD_DEPTH",
    "ElementSlot",
    "ElementTarget",
    "Patch",
    "apply_patch",
    "card_has_name",
    "card_has_value",
    "card_json",
    "card_schema",
    "card_size",
    "is_shared",
    "is_template",
    "iter_elements",
    "locales_with_value",
    "validate_card",
]
