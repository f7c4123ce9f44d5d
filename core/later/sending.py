"""Send one outbox row through Lark, record how it went, and retry transient failures with backoff.

A row is sent under its own id as Lark's `uuid`: a resend (after a crash, or a lease that ran out) posts
nothing new and answers the first message's id. Transient failures (no answer, HTTP 5xx or 429, Lark's
rate-limit codes; the client has retried each call a few times already) are tried again after 1, 2, 4, … s
(at most 5 minutes apart) up to MAX_ATTEMPTS; anything
else Lark refuses is recorded failed at once, with Lark's message.
"""

from __future__ import annotations

import asyncio
import logging
import time

from .. import metrics
from ..jsoncodec import loads
from ..lark import LarkClient, LarkError
from ..lark.limits import too_old_to_update
from ..lark.retry import RATE_LIMIT_CODES
from ..patches import is_shared
from ..store import Store
from ..store.effects import REPLY, SEND
from ..store.outbox import OutboxRow
from .rate import RateLimit

log = logging.getLogger("cardbot.outbox")
MAX_ATTEMPTS = 8


class Refused(Exception):
    """The row cannot be sent, and trying again will not help."""


def is_transient(error: LarkError) -> bool:
    """True for a failure that may pass when tried again later."""
    status = error.http_status
    return status is None or status >= 500 or status == 429 or error.code in RATE_LIMIT_CODES


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` tries: 1, 2, 4, … up to 300."""
    return float(min(300, 2 ** (attempts - 1)))


class OutboxSender:
    """Takes due outbox rows and sends them, one at a time, within `rate`."""

    def __init__(self, store: Store, lark: LarkClient, rate: RateLimit, *, holder: str) -> None:
        self._store = store
        self._lark = lark
        self._rate = rate
        self._holder = holder

    async def send_due(self, limit: int) -> bool:
        """Send up to `limit` due rows; True when there were any."""
        rows = await self._store.take_outbox(self._holder, limit)
        for row in rows:
            await self._send(row)
        return bool(rows)

    async def _send(self, row: OutboxRow) -> None:
        await self._rate.wait(row.receive_id)
        try:
            message_id = await self._deliver(row)
        except Refused as refused:
            log.warning("outbox %s (%s of %r) not sent: %s", row.id, row.kind, row.plugin, refused)
            metrics.outbox_send(row.kind, "failed")
            await self._store.record_failed(row, str(refused))
            return
        except LarkError as error:
            if is_transient(error) and row.attempts + 1 < MAX_ATTEMPTS:
                delay = backoff(row.attempts + 1)
                log.warning("outbox %s (%s of %r): %s; try %d in %g s", row.id, row.kind, row.plugin, error,
                            row.attempts + 2, delay)
                await self._store.record_retry(row, delay, str(error))
                metrics.outbox_send(row.kind, "retry")
            else:
                log.error("outbox %s (%s of %r) failed for good after %d tries: %s", row.id, row.kind, row.plugin,
                          row.attempts + 1, error)
                await self._store.record_failed(row, str(error))
                metrics.outbox_send(row.kind, "failed")
            return
        if await self._store.record_sent(row, message_id):
            log.info("outbox %s (%s of %r) sent as %s", row.id, row.kind, row.plugin, message_id)
            metrics.outbox_send(row.kind, "sent")

    async def _deliver(self, row: OutboxRow) -> str:
        """Send the row; the message id it made (for an update, the card's)."""
        if row.kind == SEND:
            assert row.receive_id_type is not None and row.msg_type is not None and row.content is not None
            return await asyncio.to_thread(self._lark.send_message, row.receive_id_type, row.receive_id,
                                           row.msg_type, loads(row.content), uuid=row.id)
        if row.kind == REPLY:
            assert row.msg_type is not None and row.content is not None
            return await asyncio.to_thread(self._lark.reply_message, row.receive_id, row.msg_type,
                                           loads(row.content), uuid=row.id, reply_in_thread=row.in_thread)
        return await self._push(row)

    async def _push(self, row: OutboxRow) -> str:
        """PATCH the stored card as it is now (never an older version), and record the push."""
        shown = await self._store.show_card(row.receive_id)
        if shown is None:
            raise Refused(f"no card {row.receive_id} is stored")
        version, card = shown["version"], shown["card"]
        if not is_shared(card):
            await self._store.record_push(row.receive_id, version, None, "patch", False, "exclusive card")
            raise Refused("an exclusive card (JSON 1.0 without update_multi) cannot be PATCHed; its stored change "
                          "shows to whoever clicks it next")
        if too_old_to_update(shown["sent_at"] or shown["created_at"], time.time()):
            await self._store.record_push(row.receive_id, version, None, "patch", False, "older than 14 days")
            raise Refused("the card was sent more than 14 days ago; Lark no longer updates it")
        try:
            await asyncio.to_thread(self._lark.patch_message, row.receive_id, card)
        except LarkError as error:
            await self._store.record_push(row.receive_id, version, None, "patch", False, str(error))
            raise
        await self._store.record_push(row.receive_id, version, None, "patch", True)
        return row.receive_id
