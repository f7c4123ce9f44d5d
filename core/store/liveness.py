"""Which serving processes are alive, told by the database alone (no pids, no host names).

Every serving process has a random token and a row in `processes` it renews every few seconds
(`beat`). A process whose row has not been renewed for `host_timeout` seconds is dead, wherever it ran:
any live process that looks (`sweep`, every beat) records its running clicks `interrupted` and gives
its cards' turns back. A process that finds its own row gone was taken for dead (frozen, or cut off
from the database): its running clicks were recorded interrupted, so their commits fail (TurnLost)
and it carries on under the same token.
"""

from __future__ import annotations

import secrets
from typing import Callable

from .clicks import INTERRUPTED, RUNNING, release_lease
from .tx import Tx

INTERRUPTED_DETAIL = "the bot process stopped before the plugin finished"


def new_process_token() -> str:
    """A token no other process, on any host, will have."""
    return secrets.token_hex(12)


def process_of(holder: str | None) -> str | None:
    """A delivery's holder is `process-token/click-number`: the process part."""
    return holder.rsplit("/", 1)[0] if holder else None


async def renew(tx: Tx, token: str, now: float, alive_until: float) -> tuple[bool, list[str]]:
    """One beat: renew `token`'s row (creating it) and sweep for dead processes, in one transaction.
    Returns whether the row was still there (False: this process had been taken for dead) and the delivery
    ids of the clicks the sweep recorded interrupted."""
    renewed = await tx.run("UPDATE processes SET alive_until = ? WHERE token = ?", (alive_until, token))
    if not renewed:
        await tx.run("INSERT INTO processes (token, alive_until, started_at) VALUES (?, ?, ?)",
                     (token, alive_until, now))
    return bool(renewed), await sweep(tx, now)


async def sweep(tx: Tx, now: float) -> list[str]:
    """Record the running clicks of dead processes as interrupted and free their cards; returns those
    clicks' delivery ids. A holder with no row at all (a process of an older cardbot) counts as dead."""
    live = {token for (token,) in await tx.all("SELECT token FROM processes WHERE alive_until >= ?", (now,))}
    interrupted = await _clear(tx, now, lambda holder: process_of(holder) not in live)
    await tx.run("DELETE FROM processes WHERE alive_until < ?", (now,))
    return interrupted


async def leave(tx: Tx, token: str, now: float) -> list[str]:
    """A stopping process: record its clicks still running as interrupted, free its cards, remove its row."""
    interrupted = await _clear(tx, now, lambda holder: process_of(holder) == token)
    await tx.run("DELETE FROM processes WHERE token = ?", (token,))
    return interrupted


async def _clear(tx: Tx, now: float, gone: Callable[[str], bool]) -> list[str]:
    """Record the running clicks whose holder is `gone` interrupted and free the cards they hold; their ids."""
    interrupted = []
    for delivery_id, holder in await tx.all("SELECT delivery_id, holder FROM deliveries WHERE status = ?", (RUNNING,)):
        if gone(holder) and await tx.run(  # (on PostgreSQL it may have finished since the SELECT)
            "UPDATE deliveries SET status = ?, detail = ?, finished_at = ? WHERE delivery_id = ? AND status = ?",
            (INTERRUPTED, INTERRUPTED_DETAIL, now, delivery_id, RUNNING),
        ):
            interrupted.append(delivery_id)
    for message_id, holder in await tx.all("SELECT message_id, holder FROM card_leases WHERE expires_at > ?", (now,)):
        if gone(holder):
            await release_lease(tx, message_id, holder)
    return interrupted


async def hold_role(tx: Tx, role: str, holder: str, now: float, until: float) -> bool:
    """Take or keep `role` (one process at a time does its work, e.g. the dispatcher) until `until`: True
    when `holder` has it now. A role whose holder stopped renewing it is free once `until` has passed."""
    return await tx.run(
        "INSERT INTO roles (role, holder, until) VALUES (?, ?, ?) ON CONFLICT (role) DO UPDATE SET "
        "holder = excluded.holder, until = excluded.until WHERE roles.holder = excluded.holder OR roles.until < ?",
        (role, holder, until, now),
    ) == 1


async def release_role(tx: Tx, role: str, holder: str) -> None:
    """Give `role` up at once (a stopping process), if `holder` has it."""
    await tx.run("DELETE FROM roles WHERE role = ? AND holder = ?", (role, holder))
