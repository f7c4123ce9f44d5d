"""The late step: after a "processing" answer went out, show the clicker the card as it now is.

The push uses the click's update token (delayed update; 30 minutes, two uses). An exclusive card
(JSON 1.0 without `update_multi: true`) must name the clicker in `open_ids` and cannot be PATCHed; a
shared card is sent without `open_ids` and, when the token cannot be used, PATCHed instead. Every
attempt is recorded against the card version it carried, with whether Lark accepted it.
"""

from __future__ import annotations

import asyncio
import logging
import time

from .. import metrics
from ..action import Action
from ..lark import LarkClient, LarkError
from ..patches import is_shared
from ..lark.limits import too_old_to_update
from ..store import Store

log = logging.getLogger("cardbot.push")
DELAYED_UPDATE = "delayed_update"
PATCH = "patch"


class LatePusher:
    """Pushes the latest stored card to Lark for clicks that finished after their answer."""

    def __init__(self, client: LarkClient, store: Store) -> None:
        self._client = client
        self._store = store

    async def push(self, action: Action) -> None:
        """Push the card as stored now (never an older version) to whoever clicked `action`; not a card sent
        more than 14 days ago (Lark refuses to update it)."""
        shown = await self._store.show_card(action.card_id)
        if shown is None:
            return
        version, card = shown["version"], shown["card"]
        if too_old_to_update(shown["sent_at"] or shown["created_at"], time.time()):
            log.info("card %s was sent more than 14 days ago; Lark no longer updates it: not pushed", action.card_id)
            metrics.pushed("none", "skipped")
            await self._store.record_push(action.card_id, version, action.delivery_id, "none", False,
                                          "older than 14 days")
            return
        shared = is_shared(card)
        # an exclusive card's update names its viewers by open_id: without one, only a shared card is pushed
        if action.update_token and (shared or action.operator.open_id):
            open_ids = None if shared else [action.operator.open_id]
            if await self._attempt(action, version, DELAYED_UPDATE, self._client.delayed_update,
                                   action.update_token, card, open_ids=open_ids):
                return
        if shared and action.message_id and not action.is_link_preview:  # a preview lives in someone else's message
            await self._attempt(action, version, PATCH, self._client.patch_message, action.message_id, card)

    async def _attempt(self, action: Action, version: int, method: str, call, *args, **kwargs) -> bool:
        try:
            await asyncio.to_thread(call, *args, **kwargs)
        except LarkError as error:
            log.warning("%s of %s version %d refused: %s", method, action.card_id, version, error)
            metrics.pushed(method, "refused")
            await self._store.record_push(action.card_id, version, action.delivery_id, method, False, str(error))
            return False
        log.info("%s of %s version %d accepted", method, action.card_id, version)
        metrics.pushed(method, "accepted")
        await self._store.record_push(action.card_id, version, action.delivery_id, method, True)
        return True
