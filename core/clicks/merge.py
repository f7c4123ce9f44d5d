"""Step 9: apply a plugin's patch to the stored card and validate the result."""

from __future__ import annotations

from ..errors import CardInvalid, PatchError
from ..patches import Patch, apply_patch, validate_card
from .dispatch import PluginFailed


def merge_patch(card: dict, patch: Patch | None, plugin: str) -> dict | None:
    """The card after `patch`, validated; None when the card stays as it is. Raises PluginFailed naming `plugin`."""
    if patch is None or not patch.changes_card:
        return None
    try:
        merged = apply_patch(card, patch)
        if merged == card:
            return None
        validate_card(merged, before=card)
    except PatchError as error:
        raise PluginFailed(plugin, f"returned a patch that cannot be applied: {error}") from None
    except CardInvalid as error:
        raise PluginFailed(plugin, f"returned a patch that makes the card invalid: {error}") from None
    return merged
