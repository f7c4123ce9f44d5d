"""Step 4 of the lean reference: one click from its claim to its answer: the card's turn, the read, the vote,
the commit; a repeat; the deadline.

    body = await Lean(database).answer(click, started)
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from .store import Conflict, GroupCommit, PLUGIN, checkpoint_every_second, claim, commit_vote, connect, finish, \
    mark_processing
from .toasts import BUSY, FAILED, PROCESSING, UNKNOWN
from .verify import Click
from .vote import Result, vote

DEADLINE = 2.5
"""`[bot] deadline`: a click not done by then is answered "processing"."""
log = logging.getLogger("bench.lean")


class Lean:
    """The reference's state in its one worker: the database connections, the group commit, the card locks."""

    def __init__(self, database: Path) -> None:
        self.writes = GroupCommit(connect(database))
        self.reads = connect(database)
        self.locks: dict[str, list[Any]] = {}  # card → [asyncio.Lock, clicks using it]
        self.holders = (f"lean/{os.getpid()}/{n}" for n in itertools.count())
        checkpoints = connect(database)
        threading.Thread(target=checkpoint_every_second, args=(checkpoints,), name="lean-checkpoint",
                         daemon=True).start()

    async def answer(self, click: Click, started: float) -> dict[str, Any]:
        """The answer body; "processing" past the deadline (the click then finishes on its own)."""
        holder = next(self.holders)
        work = asyncio.ensure_future(self.process(click, holder, started))
        await asyncio.wait({work}, timeout=max(0.0, DEADLINE - (time.monotonic() - started)))
        if not work.done():
            try:
                finished = not await self.writes.write(mark_processing, click.delivery_id, holder)
            except sqlite3.Error:  # not recorded; the click's own commit will fail the same way
                finished = False
            if not finished:
                return _body(click, PROCESSING, None)
        toast, card = await work
        return _body(click, toast, card)

    async def process(self, click: Click, holder: str, started: float) -> tuple[dict[str, Any], dict | None]:
        outcome, version = "error", None
        try:
            if not await self.writes.write(claim, click.delivery_id, click.message_id, holder, time.time(),
                                           not click.time_checked):
                outcome = "repeat"
                return await self.repeat(click, started)
            entry = self.locks.get(click.message_id)
            if entry is None:
                entry = self.locks[click.message_id] = [asyncio.Lock(), 0]
            entry[1] += 1
            try:
                async with entry[0]:
                    result, version = await self.turn(click, holder)
            finally:
                entry[1] -= 1
                if not entry[1]:
                    del self.locks[click.message_id]
            outcome = result.outcome
            return result.toast, result.card
        except sqlite3.Error as error:
            log.warning("the database could not take click %s: %s", click.delivery_id, error)
            outcome = "busy"
            return BUSY, None
        finally:
            log.info("click on %s: plugin=vote outcome=%s version=%s ms=%.0f", click.message_id, outcome,
                     version or "-", (time.monotonic() - started) * 1000)

    async def turn(self, click: Click, holder: str) -> tuple[Result, int | None]:
        """The card's turn: read card and state now, vote, commit; the new version (None: unchanged)."""
        row = self.reads.execute("SELECT card, version FROM cards WHERE message_id = ?",
                                 (click.message_id,)).fetchone()
        if row is None:
            await self.writes.write(finish, click.delivery_id, holder, "done", orjson.dumps(UNKNOWN), None,
                                    time.time())
            return Result("unknown_card", UNKNOWN), None
        state = dict(self.reads.execute(
            "SELECT key, value FROM plugin_state WHERE plugin = ? AND message_id = ? "
            "AND key IN ('closed', 'counts', ?)",
            (PLUGIN, click.message_id, f"voter:{click.operator}")))
        result = vote(orjson.loads(row[0]), state, click)
        if not result.card_json:
            status = "failed" if result.outcome in ("failed", "declined") else "done"
            await self.writes.write(finish, click.delivery_id, holder, status, orjson.dumps(result.toast), None,
                                    time.time())
            return result, None
        try:
            await self.writes.write(commit_vote, click, holder, row[1], result.card_json, result.patch_json,
                                    list(result.state), time.time())
        except Conflict as conflict:
            log.error("plugin 'vote': %s; its change was dropped", conflict)
            await self.writes.write(finish, click.delivery_id, holder, "failed", orjson.dumps(FAILED), None,
                                    time.time())
            return Result("failed", FAILED), None
        return result, row[1] + 1

    async def repeat(self, click: Click, started: float) -> tuple[dict[str, Any], dict | None]:
        """A redelivery: wait while the first copy runs (until the deadline), then its toast and the card now."""
        delay = 0.001
        while True:
            row = self.reads.execute("SELECT status, toast FROM deliveries WHERE delivery_id = ?",
                                     (click.delivery_id,)).fetchone()
            if row[0] != "running" or time.monotonic() - started > DEADLINE:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.002)
        card = self.reads.execute("SELECT card FROM cards WHERE message_id = ?", (click.message_id,)).fetchone()
        return (orjson.loads(row[1]) if row[1] else PROCESSING), (orjson.loads(card[0]) if card else None)


def _body(click: Click, toast: dict[str, Any], card: dict[str, Any] | None) -> dict[str, Any]:
    """cardbot's answer shape: trigger `{"toast", "card": {"type": "raw", "data"}}`, legacy the card + toast."""
    if click.trigger:
        return {"toast": toast} if card is None else {"toast": toast, "card": {"type": "raw", "data": card}}
    return {"toast": toast} if card is None else {**card, "toast": toast}
