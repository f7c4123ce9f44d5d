"""The late step: after a "processing" answer went out, show the clicker the card as it now is.

The push uses the click's update token (delayed update; 30 minutes, two uses). An exclusive card
(JSON 1.0 without `update_multi: true`) must name the clicker in `open_ids` and cannot be PATCHed; a
shared card is sent without `open_ids` and, when the token cannot be used, PATCHed instead. Every
attempt is recorded against the card version it carried, with whether Lark accepted it.
"""

from __future__ import annotations

import asyncio
import logging

from ..action import Action
from ..jsoncodec import loads
from ..lark import LarkClient, LarkError
from ..patches import is_shared
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
        """Push the card as stored now (never an older version) to whoever clicked `action`."""
        stored = await self._store.card(action.card_id)
        if stored is None:
            return
        card = loads(stored.card_json)
        shared = is_shared(card)
        # an exclusive card's update names its viewers by open_id: without one, only a shared card is pushed
        if action.update_token and (shared or action.operator.open_id):
            open_ids = None if shared else [action.operator.open_id]
            if await self._attempt(action, stored.version, DELAYED_UPDATE, self._client.delayed_update,
                                   action.update_token, card, open_ids=open_ids):
                return
        if shared and action.message_id and not action.is_link_preview:  # a preview lives in someone else's message
            await self._attempt(action, stored.version, PATCH, self._client.patch_message, action.message_id, card)

    async def _attempt(self, action: Action, version: int, method: str, call, *args, **kwargs) -> bool:
        try:
            await asyncio.to_thread(call, *args, **kwargs)
        except LarkError as error:
            log.warning("%s of %s version %d refused: %s", method, action.card_id, version, error)
            await self._store.record_push(action.card_id, version, action.delivery_id, method, False, str(error))
            return False
        log.info("%s of %s version %d accepted", method, action.card_id, version)
        await self._store.record_push(action.card_id, version, action.delivery_id, method, True)
        return True
