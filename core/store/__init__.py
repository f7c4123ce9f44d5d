"""Storage behind one interface (`Store`, base.py): SQLite (sqlite.py, the default) or PostgreSQL (postgres.py)."""

from .base import Store
from .clicks import CardChange, Claim, Delivery, StoredCard, TurnLost, VersionConflict
from .opening import open_store

__all__ = ["CardChange", "Claim", "Delivery", "Store", "StoredCard", "TurnLost", "VersionConflict", "open_store"]
