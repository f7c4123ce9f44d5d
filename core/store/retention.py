"""Forget what no longer matters: old delivery records, old history versions, expired leases.

Deletes go in small batches (one short transaction each), so clicks never wait long behind a prune.
"""

from __future__ import annotations

from .tx import Tx

BATCH = 2000

_STATEMENTS = {
    "deliveries": "DELETE FROM deliveries WHERE delivery_id IN (SELECT delivery_id FROM deliveries "
                  "WHERE created_at < :dedupe_before AND status != 'running' AND COALESCE(keep_forever, 0) = 0 "
                  "LIMIT :batch)",
    "history": "DELETE FROM history WHERE (message_id, version) IN (SELECT h.message_id, h.version FROM history h "
               "JOIN cards c ON c.message_id = h.message_id "
               "WHERE h.created_at < :history_before AND h.version < c.version LIMIT :batch)",
    "pushes": "DELETE FROM pushes WHERE id IN (SELECT id FROM pushes WHERE created_at < :history_before LIMIT :batch)",
    "card_leases": "DELETE FROM card_leases WHERE message_id IN (SELECT message_id FROM card_leases "
                   "WHERE expires_at < :now AND (waiter IS NULL OR waiter_until < :now) LIMIT :batch)",
}


async def prune_batch(tx: Tx, now: float, dedupe_seconds: float, history_seconds: float | None) -> dict[str, int]:
    """Delete at most one batch per table; returns rows deleted per table (all zero: nothing left to do).

    Delivery records of running clicks, and of callbacks whose time could not be checked against the
    replay window (`keep_forever`), are kept whatever their age; a card's current version is never
    removed from its history. `history_seconds` None keeps history forever.
    """
    parameters = {
        "now": now,
        "dedupe_before": now - dedupe_seconds,
        "history_before": now - history_seconds if history_seconds else float("-inf"),
        "batch": BATCH,
    }
    return {table: await tx.run(statement, parameters) for table, statement in _STATEMENTS.items()}
