"""Step 9: apply a plugin's patch to the stored card and validate the result."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CardInvalid, PatchError
from ..jsoncodec import dumps_bytes
from ..patches import Patch, apply_patch, card_schema, is_template, validate_card
from .dispatch import PluginFailed


@dataclass(frozen=True, slots=True)
class Merged:
    """The patched card and its JSON text, as it will be stored."""

    card: dict
    card_json: str


def merge_patch(card: dict, stored_json: str, patch: Patch | None, plugin: str) -> Merged | None:
    """The stored card after `patch`, validated; None when the card stays as it is.

    `card` is a private parse of `stored_json`, patched in place (it is no use to the caller after).
    Raises PluginFailed naming `plugin` when the patch cannot be applied or makes an invalid card.
    """
    if patch is None or not patch.changes_card:
        return None
    schema = None if is_template(card) else card_schema(card)  # a template may become either schema
    try:
        card = apply_patch(card, patch, copy=False)
        card_bytes = dumps_bytes(card)
        card_json = card_bytes.decode()
        if card_json == stored_json:  # stored cards are always written by dumps: equal text, equal card
            return None
        validate_card(card, schema=schema, size=len(card_bytes))
    except PatchError as error:
        raise PluginFailed(plugin, f"returned a patch that cannot be applied: {error}") from None
    except (CardInvalid, TypeError) as error:
        raise PluginFailed(plugin, f"returned a patch that makes the card invalid: {error}") from None
    return Merged(card, card_json)
