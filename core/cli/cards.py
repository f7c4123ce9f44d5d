"""`bot.py card put MESSAGE_ID FILE` and `bot.py card show MESSAGE_ID [--history]`; stdout is JSON only."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time

from ..config import load_config
from ..errors import CardInvalid, ConfigError
from ..jsoncodec import JSONDecodeError, loads
from ..patches import card_json
from ..store.cards import put_card, show_card
from ..store.schema import DatabaseMissing, open_database, open_read_only, unreadable
from ..store.store import transaction


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
    db = open_database(config.bot.database, busy_timeout=config.bot.busy_timeout, synchronous=config.bot.synchronous)
    with transaction(db.conn) as conn:
        version = put_card(conn, args.message_id, card_json(card), "put", time.time())
    print(json.dumps({"message_id": args.message_id, "version": version}))
    return 0


def show(args: argparse.Namespace) -> int:
    """Print the stored card as JSON; exit 1 when the message or the database is unknown. Reads only:
    it takes no lock a writer would wait for, and creates or changes nothing."""
    config = load_config(args.config)
    try:
        conn = open_read_only(config.bot.database)
    except DatabaseMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 1
    try:
        shown = show_card(conn, args.message_id, history=args.history)
    except sqlite3.DatabaseError as error:  # a damaged page met while reading
        raise unreadable(config.bot.database, error) from None
    finally:
        conn.close()
    if shown is None:
        print(f"error: no card stored for message {args.message_id} in {config.bot.database}", file=sys.stderr)
        return 1
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0


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
