"""The cards a benchmark run starts with, and the stream of clicks it replays.

    (a) many cards: 1,000 poll cards, every click a different person's vote on a random card;
    (b) one hot card: a single poll, every click a different person's vote;
    (c) the seed's release card: one stored card per click, each clicked exactly once.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from cardbot.patches import MAX_CARD_BYTES, card_size
from cardbot.config import parse_config
from cardbot.store import open_store
from cardbot.store.cards import put_card
from cardbot.store.tx import Tx

OPTIONS = ("yes", "no", "later", "abstain")
POLL_CARDS = 1_000
COUNT_HEADROOM = 64
"""Bytes left free in a padded poll card for the " (N)" the vote plugin writes on each button."""
SMALL_CARD = 1024
LARGE_CARD = MAX_CARD_BYTES

SEED_BUTTON = {"button_type": "public_publish", "button_id": "1626958617426"}
SEED_CARD: dict[str, Any] = {"i18n_elements": {"zh_cn": [{"tag": "action", "actions": [
    {"tag": "button", "text": {"tag": "plain_text", "content": "完成「全量发布」"}, "value": SEED_BUTTON,
     "type": "primary"}]}]}}
"""The seed document's release card (tests/support.py holds the same card for the tests)."""

Click = tuple[str, str, dict[str, Any]]
"""(message_id, operator open_id, button value)."""


@dataclass(frozen=True)
class Workload:
    """One of the three workloads: its name, a title for the report, and the plugin it exercises."""

    name: str
    title: str
    plugin: str


WORKLOADS = {
    "a": Workload("a", "(a) many cards: 1,000 polls, every request a different person's vote", "vote"),
    "b": Workload("b", "(b) one hot card: a single poll, every request a different person's vote", "vote"),
    "c": Workload("c", "(c) the seed's release card (publish, no webhook), each card clicked once", "publish"),
}


def poll_card(size: int = SMALL_CARD) -> dict[str, Any]:
    """A shared JSON 1.0 poll with one vote button per option, padded with markdown to `size` bytes
    less `COUNT_HEADROOM`."""
    card: dict[str, Any] = {
        "config": {"update_multi": True, "wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": "Ship release 2.4 on Friday?"}, "template": "blue"},
        "elements": [
            {"tag": "markdown", "content": ""},
            {"tag": "action", "actions": [
                {"tag": "button", "text": {"tag": "plain_text", "content": option.title()}, "type": "default",
                 "value": {"button_type": "vote", "option": option}} for option in OPTIONS]},
        ],
    }
    padding = size - COUNT_HEADROOM - card_size(card)
    words = "The release train leaves on Friday; vote below. "
    card["elements"][0]["content"] = (words * (padding // len(words) + 1))[:max(padding, 0)]
    return card


def poll_id(index: int) -> str:
    return f"om_poll_{index:04d}"


def seed_id(index: int) -> str:
    return f"om_seed_{index:07d}"


def start_cards(workload: Workload, clicks: int, card_bytes: int = SMALL_CARD) -> Iterator[tuple[str, str]]:
    """(message_id, card JSON) of every card the workload needs before `clicks` clicks."""
    if workload.plugin == "publish":
        seed = _dumps(SEED_CARD)
        return ((seed_id(i), seed) for i in range(clicks))
    poll = _dumps(poll_card(card_bytes))
    return ((poll_id(i), poll) for i in range(POLL_CARDS if workload.name == "a" else 1))


def filler_cards(count: int) -> Iterator[tuple[str, str]]:
    """Small cards nobody clicks, to grow the table (the 1,000,000-card growth run)."""
    return ((f"om_fill_{i:07d}", _dumps({"elements": [{"tag": "div", "text": {
        "tag": "plain_text", "content": f"filler {i}"}}]})) for i in range(count))


def fill_database(database: Path | str, cards: Iterable[tuple[str, str]]) -> None:
    """Create cardbot's database (a SQLite path or a PostgreSQL URL) and store every card (version 1) in
    one transaction, through cardbot's store."""
    async def fill() -> None:
        settings = parse_config({"bot": {"database": str(database)}}, Path("/") / "plugins.toml").bot
        async with await open_store(settings) as store:
            await store.write(_put_all, list(cards), time.time())

    asyncio.run(fill())


async def _put_all(tx: Tx, cards: list[tuple[str, str]], now: float) -> None:
    for message_id, card_json in cards:
        await put_card(tx, message_id, card_json, "bench", now)


def clicks(workload: Workload, count: int, tag: str, seed: int = 0) -> list[Click]:
    """`count` clicks, each by a different person (`ou_<tag><n>`), so none is a duplicate of another."""
    rng = random.Random(seed)
    if workload.plugin == "publish":
        return [(seed_id(i), f"ou_{tag}{i:07d}", SEED_BUTTON) for i in range(count)]
    cards = POLL_CARDS if workload.name == "a" else 1
    return [(poll_id(rng.randrange(cards)), f"ou_{tag}{i:07d}",
             {"button_type": "vote", "option": rng.choice(OPTIONS)}) for i in range(count)]


def _dumps(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False, separators=(",", ":"))
