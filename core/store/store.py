"""`Store`: the one storage interface the click path uses (SQLite today; another backend can sit beside it).

Writes are batched per event-loop turn and committed before anyone hears the result (see writer.py);
reads use per-thread connections and never wait for writers (WAL).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlite3

from . import cards, clicks, retention
from .clicks import CardChange, Claim, Delivery, StoredCard
from .presence import DatabaseFile
from .reads import ReadConnections
from .schema import connect, open_database
from .writer import Writer


class Store:
    """Cards, deliveries, leases and plugin state of one database file."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0, synchronous: str = "normal") -> None:
        self.path = Path(path)
        self._db = open_database(self.path, busy_timeout=busy_timeout, synchronous=synchronous)
        self._writer = Writer(self._db.conn, connect(self.path, busy_timeout=busy_timeout, synchronous=synchronous),
                              busy_timeout=busy_timeout, file=DatabaseFile(self.path))
        self._reads = ReadConnections(self.path, busy_timeout=busy_timeout)

    # -- the click path (async; each call is one committed write) --------------------------------

    async def claim_click(self, delivery_id: str, message_id: str, holder: str, *, lease_holder: str | None,
                          lease_seconds: float, keep_forever: bool = False) -> Claim:
        """Record the delivery (or find an earlier one) and, given a `lease_holder`, try to lease the card.
        `keep_forever` keeps its record from ever being pruned (a callback with no replay window)."""
        now = time.time()
        return await self._writer.write(
            clicks.claim_click, delivery_id, message_id, holder, now, lease_holder, now + lease_seconds, keep_forever
        )

    async def lease_card(self, message_id: str, holder: str, *, lease_seconds: float) -> StoredCard | None:
        """Lease the card and return it, or None while another live click holds it."""
        now = time.time()
        return await self._writer.write(clicks.lease_card, message_id, holder, now, now + lease_seconds)

    async def commit_click(self, change: CardChange) -> int | None:
        """Commit a click's change in one transaction; returns the new version (None: card unchanged)."""
        return await self._writer.write(clicks.commit_click, change, time.time())

    async def finish_click(self, delivery_id: str, message_id: str, holder: str, status: str,
                           toast_json: str | None, detail: str | None, plugin: str | None = None, *,
                           lease_holder: str | None = None, keep_until: float | None = None) -> None:
        """Record a click that changed nothing, ending its turn on the card if it had one (see clicks.end_turn)."""
        await self._writer.write(clicks.finish_delivery, delivery_id, message_id, holder, status, toast_json, detail,
                                 plugin, time.time(), lease_holder, keep_until)

    async def release_lease(self, message_id: str, holder: str) -> None:
        """Free the card's lease if `holder` still holds it."""
        await self._writer.write(clicks.release_lease, message_id, holder)

    async def answered_early(self, delivery_id: str, message_id: str, holder: str, toast_json: str, *,
                             keep_forever: bool = False) -> str:
        """Record that the click was answered before its plugin finished: "marked", "finished" or "other"."""
        return await self._writer.write(
            clicks.mark_answered_early, delivery_id, message_id, holder, toast_json, time.time(), keep_forever
        )

    async def recover_interrupted(self) -> list[str]:
        """Mark clicks whose process died as interrupted and free their leases; returns their delivery ids."""
        return await self._writer.write(clicks.recover_interrupted, time.time())

    # -- cards sent through the bot, and what was pushed to Lark ---------------------------------

    async def put_sent_card(self, message_id: str, card_json: str) -> int:
        """Store a card just sent as version 1, unless the message is stored already; returns its version."""
        return await self._writer.write(cards.put_sent_card, message_id, card_json, time.time())

    def put_sent_card_blocking(self, message_id: str, card_json: str) -> int:
        """`put_sent_card` for a plain thread (never the event loop)."""
        return self._writer.thread.write_blocking(cards.put_sent_card, message_id, card_json, time.time())

    async def record_push(self, message_id: str, version: int, delivery_id: str | None, method: str,
                          accepted: bool, detail: str | None = None) -> None:
        """Record a push of `version` to Lark and whether Lark accepted it."""
        await self._writer.write(cards.record_push, message_id, version, delivery_id, method, accepted, detail,
                                 time.time())

    async def prune(self, dedupe_seconds: float, history_seconds: float | None) -> dict[str, int]:
        """Delete expired delivery records, history and leases, batch by batch; returns rows deleted per table."""
        total: dict[str, int] = {}
        while True:
            deleted = await self._writer.write(retention.prune_batch, time.time(), dedupe_seconds, history_seconds)
            for table, count in deleted.items():
                total[table] = total.get(table, 0) + count
            if not any(deleted.values()):
                return total

    # -- reads (any thread) -----------------------------------------------------------------------

    def delivery(self, delivery_id: str) -> Delivery | None:
        """The delivery record as committed now."""
        return clicks.read_delivery(self._reads.get(), delivery_id)

    def card(self, message_id: str) -> StoredCard | None:
        """The card as committed now."""
        return clicks.read_card(self._reads.get(), message_id)

    def read_state(self, plugin: str, scope: str, key: str) -> str | None:
        """One committed state value (JSON text), or None."""
        row = self._reads.get().execute(
            "SELECT value FROM plugin_state WHERE plugin = ? AND message_id = ? AND key = ?", (plugin, scope, key)
        ).fetchone()
        return row[0] if row else None

    def read_state_items(self, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]:
        """Committed (key, JSON text) pairs whose key starts with `prefix`."""
        return self._reads.get().execute(
            "SELECT key, value FROM plugin_state WHERE plugin = ? AND message_id = ? AND key >= ? AND key < ?",
            (plugin, scope, prefix, prefix + "\U0010ffff"),
        ).fetchall()

    def health(self) -> str:
        """Whether writes work now: "ok", "busy" (locked by another connection), or a fault that stops this
        worker ("full", "malformed", "missing", "read-only", "io-error"; faults.UNUSABLE). On the loop."""
        return self._writer.health()

    def close(self) -> None:
        """Finish queued writes and close every connection."""
        self._writer.close()
        self._reads.close()
        self._db.conn.close()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`with transaction(conn):` runs the block in one write transaction (for the CLI and tests)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
