"""`bot.py prune`: delete expired delivery records and history now (a running bot also does it hourly)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..config import BotSettings, load_config
from ..store import open_store
from ..store.schema import DatabaseMissing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Prune with the retention of `[bot]`; print the rows deleted per table as JSON. Exit 1, creating
    nothing, when there is no database."""
    config = load_config(args.config)
    try:
        deleted = asyncio.run(_prune(config.bot))
    except DatabaseMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    print(json.dumps({"deleted": deleted}))
    return 0


async def _prune(settings: BotSettings) -> dict[str, int]:
    async with await open_store(settings, create=False) as store:  # DatabaseMissing, creating nothing, if none
        return await store.prune(*settings.retention, settings.card_retention)
