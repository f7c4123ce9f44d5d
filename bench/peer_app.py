"""The peer: what a user would write instead of cardbot, with the official SDK (lark-oapi) on Flask.

    PEER_DATABASE=cardbot.db LARK_VERIFICATION_TOKEN=… LARK_ENCRYPT_KEY=… \\
        gunicorn --workers 1 --worker-class gthread --threads 2 bench.peer_app:app

`POST /lark/callback` takes card.action.trigger (EventDispatcherHandler: decrypt, token, sha256 signature)
and `POST /lark/card` legacy card callbacks (CardActionHandler: sha1 signature). The job is cardbot's:
load the stored card (cardbot's `cards` table), apply the vote (one per open_id per card, in a `votes`
table, counts in `vote_counts`, "Label (N)" on every vote button) or the seed release ("已完成"),
store the card and commit (WAL, synchronous=NORMAL) before answering with the updated card.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from typing import Any, Iterator

import lark_oapi as lark
from flask import Flask, Response
from lark_oapi.adapter.flask import parse_req, parse_resp
from lark_oapi.card.model import Card
from lark_oapi.event.callback.model.p2_card_action_trigger import (
    P2CardActionTrigger,
    P2CardActionTriggerResponse,
)

DATABASE = os.environ.get("PEER_DATABASE", "cardbot.db")
DONE = [{"tag": "div", "fields": [{"is_short": False, "text": {"tag": "lark_md", "content": "已完成"}}]}]
COUNT_SUFFIX = re.compile(r" \(\d+\)$")
CANONICAL_HEADERS = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature", "X-Request-Id")

_local = threading.local()


def connection() -> sqlite3.Connection:
    """This thread's connection: autocommit (explicit transactions), WAL, synchronous=NORMAL."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DATABASE, isolation_level=None, timeout=5.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        _local.conn = conn
    return conn


def create_tables() -> None:
    conn = connection()
    conn.execute("CREATE TABLE IF NOT EXISTS votes (message_id TEXT, open_id TEXT, option TEXT, "
                 "PRIMARY KEY (message_id, open_id))")
    conn.execute("CREATE TABLE IF NOT EXISTS vote_counts (message_id TEXT, option TEXT, n INTEGER, "
                 "PRIMARY KEY (message_id, option))")


def click(message_id: str, open_id: str, value: dict[str, Any]) -> tuple[dict[str, Any], dict | None]:
    """Apply one click in one committed transaction; returns (toast, updated card or None)."""
    conn = connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("SELECT card FROM cards WHERE message_id = ?", (message_id,)).fetchone()
        if row is None:
            conn.execute("ROLLBACK")
            return {"type": "error", "content": "Unknown card"}, None
        card = json.loads(row[0])
        if value.get("button_type") == "vote":
            toast = vote(conn, card, message_id, open_id, str(value.get("option")))
        else:
            card = release(card, value)
            toast = {"type": "success", "content": "已完成", "i18n": {"zh_cn": "已完成", "en_us": "Done"}}
        if toast["type"] != "success":
            conn.execute("ROLLBACK")
            return toast, None
        conn.execute("UPDATE cards SET card = ?, version = version + 1, updated_at = ? WHERE message_id = ?",
                     (json.dumps(card, ensure_ascii=False, separators=(",", ":")), time.time(), message_id))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return toast, card


def vote(conn: sqlite3.Connection, card: dict, message_id: str, open_id: str, option: str) -> dict[str, Any]:
    """Record the vote (moving an earlier one) and write "Label (N)" on every vote button of `card`."""
    previous = conn.execute("SELECT option FROM votes WHERE message_id = ? AND open_id = ?",
                            (message_id, open_id)).fetchone()
    if previous is not None and previous[0] == option:
        return {"type": "info", "content": "You already voted for this option",
                "i18n": {"zh_cn": "你已经投过这个选项", "en_us": "You already voted for this option"}}
    first_vote = conn.execute("SELECT 1 FROM vote_counts WHERE message_id = ? LIMIT 1",
                              (message_id,)).fetchone() is None
    if previous is not None:
        conn.execute("UPDATE vote_counts SET n = max(n - 1, 0) WHERE message_id = ? AND option = ?",
                     (message_id, previous[0]))
    conn.execute("INSERT INTO votes VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET option = excluded.option",
                 (message_id, open_id, option))
    conn.execute("INSERT INTO vote_counts VALUES (?, ?, 1) ON CONFLICT DO UPDATE SET n = n + 1",
                 (message_id, option))
    counts = dict(conn.execute("SELECT option, n FROM vote_counts WHERE message_id = ?", (message_id,)))
    for button in vote_buttons(card):
        label = button["text"]["content"] if first_vote else COUNT_SUFFIX.sub("", button["text"]["content"])
        button["text"]["content"] = f"{label} ({counts.get(button['value']['option'], 0)})"
    return {"type": "success", "content": "Vote counted", "i18n": {"zh_cn": "投票成功", "en_us": "Vote counted"}}


def vote_buttons(node: Any) -> Iterator[dict]:
    """Every button whose value is a vote, in card order."""
    if isinstance(node, list):
        for item in node:
            yield from vote_buttons(item)
    elif isinstance(node, dict):
        value = node.get("value")
        if isinstance(value, dict) and value.get("button_type") == "vote" and isinstance(node.get("text"), dict):
            yield node
            return
        for item in node.values():
            yield from vote_buttons(item)


def release(card: dict, value: dict[str, Any]) -> dict:
    """The seed's release: every element list holding the clicked button becomes "已完成"."""
    if "i18n_elements" in card:
        return card | {"i18n_elements": {locale: DONE if _holds(elements, value) else elements
                                         for locale, elements in card["i18n_elements"].items()}}
    return card | {"elements": DONE}


def _holds(node: Any, value: dict[str, Any]) -> bool:
    if isinstance(node, dict):
        return node.get("value") == value or any(_holds(item, value) for item in node.values())
    return isinstance(node, list) and any(_holds(item, value) for item in node)


def on_trigger(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
    event = data.event
    toast, card = click(event.context.open_message_id, event.operator.open_id, event.action.value or {})
    answer: dict[str, Any] = {"toast": toast}
    if card is not None:
        answer["card"] = {"type": "raw", "data": card}
    return P2CardActionTriggerResponse(answer)  # never None (pitfall P4)


def on_legacy(card_action: Card) -> dict[str, Any]:
    toast, card = click(card_action.open_message_id, card_action.open_id, card_action.action.value or {})
    return {**card, "toast": toast} if card is not None else {"toast": toast}


VERIFICATION_TOKEN = os.environ.get("LARK_VERIFICATION_TOKEN", "")
ENCRYPT_KEY = os.environ.get("LARK_ENCRYPT_KEY", "")
event_handler = lark.EventDispatcherHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN) \
    .register_p2_card_action_trigger(on_trigger).build()
card_handler = lark.CardActionHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN).register(on_legacy).build()

app = Flask(__name__)
create_tables()


def _parse_req() -> lark.RawRequest:
    """The SDK's Flask request, with Lark's headers under the exact names the SDK looks up (pitfall P2)."""
    request = parse_req()
    by_lower = {name.lower(): value for name, value in request.headers.items()}
    for name in CANONICAL_HEADERS:
        if name.lower() in by_lower:
            request.headers[name] = by_lower[name.lower()]
    return request


@app.post("/lark/callback")
def trigger_callback() -> Response:
    return parse_resp(event_handler.do(_parse_req()))


@app.post("/lark/card")
def legacy_callback() -> Response:
    return parse_resp(card_handler.do(_parse_req()))


@app.get("/healthz")
def healthz() -> str:
    return "ok"
