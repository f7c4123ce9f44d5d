"""`url.preview.get`: find the plugin whose URL pattern matches, ask it for the preview, store its card.

    answer = await previews.answer(envelope, started)     # the callback's JSON answer ({} for no preview)

The plugin has until `[bot] deadline` (from when the request arrived) to answer; past it, or when it fails
or answers garbage, the link shows no preview ({}), and the reason is logged. A card it answers with is
validated and stored under `preview:<preview_token>`: clicks on the preview card find it there. The card is
stored in its own turn on that card, like a click's change: a preview asked for while a click on its card
runs (Lark asks again after `bot.refresh_previews`) waits for that click to commit, until the deadline; a
turn that does not come by then leaves the stored card as it is (the answer still carries the new card).
"""

from __future__ import annotations

import itertools
import logging
import time

from ..bot import Bot
from ..config import BotSettings
from ..errors import ActionFailed, CardInvalid
from ..failures import HookEscaped, describe, readable_message
from ..patches import card_json
from ..protocol import Envelope
from ..registry import PluginHost
from ..store import Store
from ..clicks.dispatch import HardLimitReached, PluginRunner
from ..clicks.turns import CardTurns
from .preview import LinkPreview, LinkPreviewRequest, parse_preview_request

log = logging.getLogger("cardbot.previews")
LINK_PREVIEW_EVENT = "url.preview.get"
NO_PREVIEW: dict = {}


class PreviewPipeline:
    """Answers link-preview callbacks for the plugins that claim URL patterns."""

    def __init__(self, host: PluginHost, runner: PluginRunner, store: Store, settings: BotSettings,
                 bot: Bot, turns: CardTurns, process: str) -> None:
        """`turns`: the clicks' card turns (a preview storing its card takes one); `process`: this process's
        token, the turns are held under it."""
        self._turns = turns
        self._holders = (f"{process}/p{number}" for number in itertools.count())
        self._host = host
        self._runner = runner
        self._store = store
        self._settings = settings
        self._bot = bot

    async def answer(self, envelope: Envelope, started: float) -> dict:
        """The answer to one `url.preview.get` (CallbackRejected(400) when it has no url or preview token)."""
        request = parse_preview_request(envelope.payload)
        plugin = self._host.owner_of_url(request.url)
        if plugin is None:
            log.info("link preview of %s: no plugin's URL pattern matches it", request.url)
            return NO_PREVIEW
        left = self._settings.deadline - (time.monotonic() - started)
        try:
            result = await self._runner.call(plugin, "cardbot_link_preview", max(0.0, left), preview=request,
                                             config=plugin.config, bot=self._bot)
        except ActionFailed as declined:
            log.info("plugin %r declined the preview of %s: %s", plugin.name, request.url, readable_message(declined))
            return NO_PREVIEW
        except HardLimitReached:
            log.warning("plugin %r: the preview of %s took longer than the deadline (%g s); answered without one",
                        plugin.name, request.url, self._settings.deadline)
            return NO_PREVIEW
        except HookEscaped as escaped:
            log.error("plugin %r raised %s in cardbot_link_preview", plugin.name, describe(escaped.error))
            return NO_PREVIEW
        except Exception:  # noqa: BLE001 - a plugin bug costs this preview only
            log.exception("plugin %r raised in cardbot_link_preview", plugin.name)
            return NO_PREVIEW
        if result is None:
            return NO_PREVIEW
        if not isinstance(result, LinkPreview):
            log.error("plugin %r: cardbot_link_preview returned %s; expected cardbot.LinkPreview or None",
                      plugin.name, type(result).__name__)
            return NO_PREVIEW
        return await self._stored(plugin.name, request, result, started)

    async def _stored(self, plugin: str, request: LinkPreviewRequest, preview: LinkPreview, started: float
                      ) -> dict:
        """The answer, once the preview's card (if any) is valid and stored; an invalid card is left out."""
        if preview.card is None:
            return preview.to_json()
        try:
            text = card_json(preview.card)
        except CardInvalid as error:
            log.error("plugin %r: the preview card for %s is not valid (%s); answered without it", plugin,
                      request.url, error)
            inline = preview.inline_json()
            return {"inline": inline} if inline else NO_PREVIEW
        version = await self._put_in_turn(request.card_id, text, f"preview:{plugin}",
                                          started + self._settings.deadline)
        if version is None:
            log.warning("link preview of %s by %r: a click kept card %s past the deadline; the stored card stays "
                        "as it is", request.url, plugin, request.card_id)
        return preview.to_json()

    async def _put_in_turn(self, card_id: str, text: str, made_by: str, until: float) -> int | None:
        """Store `text` as the card's next version (unless it is that already) while holding the card's turn,
        so no click commits meanwhile; its version, or None when the turn did not come by `until`."""
        holder = next(self._holders)
        claim = await self._turns.wait_for_lease(card_id, holder, until)
        if claim is None:
            return None
        try:
            if claim.card is not None and claim.card.card_json == text:
                return claim.card.version
            version = await self._store.put_card(card_id, text, made_by)
            log.info("link preview: card %s version %d", card_id, version)
            return version
        finally:
            if claim.leased:
                await self._turns.release(card_id, holder)
