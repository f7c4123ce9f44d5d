"""`bot.py card put MESSAGE_ID FILE` and `bot.py card show MESSAGE_ID [--history]`; stdout is JSON only."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ..config import BotSettings, load_config
from ..errors import CardInvalid, ConfigError
from ..jsoncodec import JSONDecodeError, loads
from ..patches import card_json
from ..store import open_store
from ..store.schema import DatabaseMissing


def add_put_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message_id", metavar="MESSAGE_ID", help="the om_… id Lark gave the message")
    parser.add_argument("file", metavar="FILE", help="the card JSON as sent (- reads standard input)")
    parser.set_defaults(run=put)


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message_id", metavar="MESSAGE_ID")
    parser.add_argument("--history", action="store_true", help="include one entry per version")
    parser.set_defaults(run=show)


def put(args: argparse.Namespace) -> int:
    """Store the card as the message's next version (1 for a new message); print {message_id, version}."""
    card = read_card_file(args.file)
    config = load_config(args.config)
    version = asyncio.run(_put(config.bot, args.message_id, card_json(card)))
    print(json.dumps({"message_id": args.message_id, "version": version}))
    return 0


def show(args: argparse.Namespace) -> int:
    """Print the stored card as JSON; exit 1 when the message or the database is unknown. Reads only:
    it takes no lock a writer would wait for, and creates or changes nothing."""
    config = load_config(args.config)
    try:
        shown, location = asyncio.run(read_shown(config.bot, args.message_id, args.history))
    except DatabaseMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    if shown is None:
        print(f"error: no card stored for message {args.message_id} in {location}", file=sys.stderr)
        return 1
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


async def _put(settings: BotSettings, message_id: str, text: str) -> int:
    async with await open_store(settings) as store:
        return await store.put_card(message_id, text)


async def read_shown(settings: BotSettings, message_id: str, history: bool) -> tuple[dict | None, str]:
    """`card show`'s data for `message_id` (None when not stored) and where it was looked for; reads only."""
    async with await open_store(settings, read_only=True) as store:
        return await store.show_card(message_id, history=history), store.location


def read_card_file(path: str) -> dict:
    """Read a card JSON file ("-" for stdin) and check it can be sent and stored (`card_json`);
    ConfigError with the reason when it is not JSON or not a valid card."""
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        card = loads(text)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, JSONDecodeError) as error:
        raise ConfigError(f"{path} is not JSON: {error}") from None
    try:
        card_json(card)
    except CardInvalid as error:
        raise ConfigError(f"{path} is not a valid card: {error}") from None
    return card
