"""Storage: cards, their history, deliveries (dedupe), card leases and plugin state, in SQLite."""

from .clicks import CardChange, Claim, Delivery, StoredCard, VersionConflict
from .store import Store, transaction

__all__ = ["CardChange", "Claim", "Delivery", "Store", "StoredCard", "VersionConflict", "transaction"]
