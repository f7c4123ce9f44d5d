"""`bot.py send (--chat-id | --open-id | --user-id | --union-id | --email) ID FILE [--state PLUGIN JSON]`:
send, store (with the card's starting state), print the id."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Callable

from ..config import BotSettings, LarkSecrets, load_config
from ..errors import ConfigError
from ..lark import LarkClient, LarkError
from ..sending import CardSender, Sent, initial_state
from ..store import open_store
from .cards import read_card_file

RECEIVERS = (("--chat-id", "chat_id"), ("--open-id", "open_id"), ("--user-id", "user_id"),
             ("--union-id", "union_id"), ("--email", "email"))


def _receiver_of(receive_id_type: str) -> Callable[[str], tuple[str, str]]:
    """The argparse type of one receiver flag: its value becomes (receive_id_type, value)."""
    def receiver(value: str) -> tuple[str, str]:
        return receive_id_type, value
    return receiver


def add_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    for flag, receive_id_type in RECEIVERS:
        who.add_argument(flag, dest="receiver", metavar="ID", type=_receiver_of(receive_id_type),
                         help=f"send to this {receive_id_type}")
    parser.add_argument("file", metavar="FILE", help="the card JSON (- reads standard input)")
    parser.add_argument("--uuid", help="idempotency key: the same uuid within an hour sends only once")
    parser.add_argument("--state", nargs=2, action="append", metavar=("PLUGIN", "JSON"), default=[],
                        help="the card's starting state for PLUGIN, a JSON object (read as state.card); repeatable")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Send the card through Lark, store it as version 1 under the returned id, print that id."""
    card = read_card_file(args.file)
    state = _read_state(args.state)
    config = load_config(args.config)
    receive_id_type, receive_id = args.receiver
    try:
        sent = asyncio.run(_send(config.bot, receive_id_type, receive_id, card, args.uuid, state))
    except LarkError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for warning in sent.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(sent.message_id)
    return 0


def _read_state(pairs: list[list[str]]) -> dict[str, dict] | None:
    """--state PLUGIN JSON pairs as {plugin: values}; ConfigError (exit 2, one line) when one is not an object."""
    state: dict[str, dict] = {}
    for plugin, text in pairs:
        try:
            values = json.loads(text)
        except ValueError as error:
            raise ConfigError(f"--state {plugin}: not JSON ({error})") from None
        if not isinstance(values, dict):
            raise ConfigError(f"--state {plugin}: give a JSON object of the plugin's values, not {text}")
        state.setdefault(plugin, {}).update(values)
    try:
        initial_state(state)
    except ValueError as error:
        raise ConfigError(f"--state: {error}") from None
    return state or None


async def _send(settings: BotSettings, receive_id_type: str, receive_id: str, card: dict, uuid: str | None,
                state: dict[str, dict] | None) -> Sent:
    async with await open_store(settings) as store:
        with LarkClient.from_secrets(LarkSecrets.from_env()) as client:
            return await CardSender(client, store).send_async(receive_id_type, receive_id, card, uuid=uuid,
                                                              state=state)
