"""Count only work done: the answers wrk counted as votes against the card versions the run stored.

    before = stored_versions(database)
    ...                                        # serve, run wrk, stop the server
    result = check_work_done(result, stored_versions(database) - before)

Every click that changes a card stores one new version (cardbot, the lean reference and the peer all bump
`cards.version`), so a run's stored work is the growth of the sum of (version - 1) over every card.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import psycopg

from .wrk import WrkResult

STORED_SHARE = 0.99
"""A run whose database holds fewer new versions than this share of the answers wrk counted is invalid."""
_SUM = "SELECT COALESCE(SUM(version - 1), 0) FROM cards"


def stored_versions(database: Path | str) -> int:
    """Card versions stored past each card's first, over every card of `database` (a SQLite file, or a
    PostgreSQL URL)."""
    if isinstance(database, str) and database.startswith(("postgresql://", "postgres://")):
        with psycopg.connect(database, autocommit=True) as pg:
            row = pg.execute(_SUM).fetchone()
    else:
        conn = sqlite3.connect(f"{Path(database).absolute().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute(_SUM).fetchone()
        finally:
            conn.close()
    return int(row[0]) if row else 0


def check_work_done(result: WrkResult, stored: int, what: str = "votes") -> WrkResult:
    """`result`, made invalid when fewer than STORED_SHARE of the answers it counted (`what` they are: votes,
    releases) were stored."""
    if not result.counted or stored >= STORED_SHARE * result.counted:
        return result
    reason = f"only {stored:,} of {result.counted:,} answered {what} were stored"
    return dataclasses.replace(result, invalid="; ".join(filter(None, [result.invalid, reason])))
