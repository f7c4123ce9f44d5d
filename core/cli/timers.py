"""`bot.py timers [--json]`: the timers plugins have set, earliest first, and what each waits for."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime, timezone
from typing import Any

from ..config import load_config
from ..store import open_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print every timer: plugin, key, when it is due (UTC), its card or the send it waits for."""
    config = load_config(args.config)
    timers = asyncio.run(_read(config.bot))
    if args.json:
        print(json.dumps({"timers": timers}, ensure_ascii=False, indent=2))
        return 0
    rows = [("PLUGIN", "KEY", "DUE (UTC)", "STATE", "CARD")]
    now = datetime.now(timezone.utc).timestamp()
    for timer in timers:
        rows.append((timer["plugin"], timer["key"], _when(timer["due_at"]), _state(timer, now),
                     timer["card_id"] or timer["sent_as"] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print("\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows))
    return 0


async def _read(settings: Any) -> list[dict[str, Any]]:
    async with await open_store(settings, read_only=True) as store:
        return await store.list_timers()


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _state(timer: dict[str, Any], now: float) -> str:
    if timer["outbox_id"] and timer["outbox_status"] == "pending":
        return "waits for its card to be sent"
    return "due" if timer["due_at"] <= now else "set"
