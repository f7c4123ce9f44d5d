"""`bot.py prune`: delete expired delivery records and history now (a running bot also does it hourly)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..config import load_config
from ..store import Store
from ..store.schema import DatabaseMissing, require_database


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Prune with the retention of `[bot]`; print the rows deleted per table as JSON. Exit 1, creating
    nothing, when there is no database."""
    config = load_config(args.config)
    try:
        require_database(config.bot.database)
    except DatabaseMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    store = Store(config.bot.database, busy_timeout=config.bot.busy_timeout, synchronous=config.bot.synchronous)
    try:
        deleted = asyncio.run(store.prune(*config.bot.retention))
    finally:
        store.close()
    print(json.dumps({"deleted": deleted}))
    return 0
