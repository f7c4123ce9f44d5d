"""Step 9: apply a plugin's patch to the stored card and validate the result."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CardInvalid, PatchError
from ..jsoncodec import dumps_bytes
from ..patches import Patch, apply_patch, card_schema, is_template, validate_card
from ..patches.validate import check_size

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
    texts_only = only_texts(patch)
    schema = None if texts_only or is_template(card) else card_schema(card)  # a template may become either
    try:
        card = apply_patch(card, patch, copy=False)
        card_bytes = dumps_bytes(card)
        card_json = card_bytes.decode()
        if card_json == stored_json:  # stored cards are always written by dumps: equal text, equal card
            return None
        if texts_only:  # the stored card passed every rule, and a text's content is in none but the size
            check_size(len(card_bytes))
        else:
            validate_card(card, schema=schema, size=len(card_bytes))
    except PatchError as error:
        raise PluginFailed(plugin, f"returned a patch that cannot be applied: {error}") from None
    except (CardInvalid, TypeError) as error:
        raise PluginFailed(plugin, f"returned a patch that makes the card invalid: {error}") from None
    return Merged(card, card_json)


_SCALARS = (str, int, float, bool, type(None))


def only_texts(patch: Patch) -> bool:
    """Whether `patch` only replaces (or tests) the `content` of texts with plain values (JSON Patch ops on
    paths ending in `/content`): a change no card rule but the size can object to, as the vote plugin's is."""
    return all(op["op"] == "json_patch" and all(
        operation["op"] == "test" or operation["op"] == "replace" and operation["path"].endswith("/content")
        and isinstance(operation["value"], _SCALARS) for operation in op["operations"]) for op in patch.ops)
