"""Forget what no longer matters: old delivery records, old history versions, expired leases, outbox rows
long sent, and (when `[bot] card_retention_days` is set) cards not changed for that long, with what belongs
to them.

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
    "outbox": "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status != 'pending' "
              "AND created_at < :history_before LIMIT :batch)",
}
_CARD_STATEMENTS = {
    "cards": "DELETE FROM cards WHERE message_id IN (SELECT c.message_id FROM cards c LEFT JOIN card_leases l "
             "ON l.message_id = c.message_id AND l.expires_at >= :now WHERE c.updated_at < :cards_before "
             "AND l.message_id IS NULL LIMIT :batch)",
    "history": "DELETE FROM history WHERE (message_id, version) IN (SELECT h.message_id, h.version FROM history h "
               "LEFT JOIN cards c ON c.message_id = h.message_id WHERE c.message_id IS NULL LIMIT :batch)",
    "plugin_state": "DELETE FROM plugin_state WHERE (plugin, message_id, key) IN (SELECT s.plugin, s.message_id, "
                    "s.key FROM plugin_state s LEFT JOIN cards c ON c.message_id = s.message_id "
                    "WHERE s.message_id != '' AND c.message_id IS NULL LIMIT :batch)",
}
"""Run only with a card retention: a card is deleted with its history and its plugins' state for it (a
state scope with no card can only be a deleted card's, as state belongs to cards or is plugin-wide)."""


async def prune_batch(tx: Tx, now: float, dedupe_seconds: float, history_seconds: float | None,
                      card_seconds: float | None = None) -> dict[str, int]:
    """Delete at most one batch per table; returns rows deleted per table (all zero: nothing left to do).

    Delivery records of running clicks, and of callbacks whose time could not be checked against the
    replay window (`keep_forever`), are kept whatever their age; a card's current version is never
    removed from its history. `history_seconds` None keeps history (and sent outbox rows) forever;
    `card_seconds` None keeps cards forever, else a card unchanged that long (and not held by a click) goes.
    """
    parameters = {
        "now": now,
        "dedupe_before": now - dedupe_seconds,
        "history_before": now - history_seconds if history_seconds else float("-inf"),
        "cards_before": now - card_seconds if card_seconds else float("-inf"),
        "batch": BATCH,
    }
    deleted = {table: await tx.run(statement, parameters) for table, statement in _STATEMENTS.items()}
    if card_seconds:
        for table, statement in _CARD_STATEMENTS.items():
            deleted[table] = deleted.get(table, 0) + await tx.run(statement, parameters)
    return deleted
