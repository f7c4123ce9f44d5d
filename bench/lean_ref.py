"""The lean reference: the vote plugin's job with cardbot's guarantees, in one tight file, to measure cardbot against.

    LARK_VERIFICATION_TOKEN=… LARK_ENCRYPT_KEY=… python -m bench.lean_ref --db cardbot.db --port 8200

`POST /lark/callback` takes both callback formats the bench sends (legacy: plain body, sha1 signature with the
verification token; card.action.trigger: AES-256-CBC body, sha256 signature with the encrypt key) and does
what cardbot does for a vote, with the same guarantees:

- the signature and the timestamp window (`X-Lark-Request-Timestamp`, and `header.create_time` of a trigger)
  are checked as core/protocol checks them (401; 400 for a body that is not a callback, 403 for a wrong token);
- the delivery (`v2:<event_id>`, or `v1:` + sha256 of the legacy body's signed fields, as cardbot names it)
  is claimed in a committed write before the vote runs; a repeated delivery waits for the first copy and
  answers its stored toast with the card as stored now;
- one click per card at a time (an asyncio.Lock per card); the card and the vote's state for it are read
  from the database on every click (no cache that another process or `card put` could make stale);
- the stale guard (the clicked button is still on the card), the vote moved (one per person per card),
  every vote button relabelled "Label (N)", the card's compact JSON held to 30 KB;
- the card (compare-and-swap on its version), a history row with the patch, the state and the delivery's
  answer commit together before the answer goes out, in one transaction shared by every write of that
  event-loop turn (a savepoint each when there are several), as core/store/writer.py does; SQLite in WAL
  mode with cardbot's default `synchronous=NORMAL`, checkpoints on a helper thread;
- a deadline: past 2.5 s (`[bot] deadline`) the click is answered "processing" and finishes afterwards;
- one INFO log line per click, as cardbot writes it.

It uses cardbot's tables as `bench.workloads.fill_database` creates them, in the vote plugin's layout
(plugin_state rows `("vote", card, "counts")` and `("vote", card, "voter:<open_id>")`), so the bench reads
the stored versions of both alike. What it leaves out is the framework: plugin discovery and dispatch, the
generic patch language and its validation, general answer rendering, url_verification and events.

It serves ONE worker process: the per-card lock and the group commit exclude only within one event loop
(two processes on one file would need cardbot's card leases).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import email.utils
import gc
import hashlib
import hmac
import itertools
import logging
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import orjson
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sanic import Request, Sanic, response

VERIFICATION_TOKEN = os.environ.get("LARK_VERIFICATION_TOKEN", "")
ENCRYPT_KEY = os.environ.get("LARK_ENCRYPT_KEY", "")
TOLERANCE = 300.0
"""`[bot] timestamp_tolerance`: seconds a signed timestamp may be from now."""
DEADLINE = 2.5
"""`[bot] deadline`: a click not done by then is answered "processing"."""
MAX_CARD_BYTES = 30 * 1024
PLUGIN = "vote"
LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"

COUNTED = {"type": "success", "content": "Vote counted", "i18n": {"en_us": "Vote counted", "zh_cn": "投票成功"}}
SAME = {"type": "info", "content": "You already voted for this option",
        "i18n": {"en_us": "You already voted for this option", "zh_cn": "你已经投过这个选项"}}
CLOSED = {"type": "info", "content": "This poll is closed", "i18n": {"en_us": "This poll is closed", "zh_cn": "投票已结束"}}
NO_OPTION = {"type": "error", "content": "This vote button has no option (the card is unchanged)",
             "i18n": {"en_us": "This vote button has no option (the card is unchanged)",
                      "zh_cn": "This vote button has no option（卡片未改变）"}}
FAILED = {"type": "error", "content": "The vote plugin failed; the card is unchanged.",
             "i18n": {"en_us": "The vote plugin failed; the card is unchanged.", "zh_cn": "插件 vote 出错，卡片未改变。"}}
STALE = {"type": "info", "content": "This card has changed since you opened it; here is the current version.",
         "i18n": {"en_us": "This card has changed since you opened it; here is the current version.",
                  "zh_cn": "卡片已更新，这是最新版本。"}}
UNKNOWN = {"type": "error", "content": "This card is not known to the bot; nothing was done.",
           "i18n": {"en_us": "This card is not known to the bot; nothing was done.",
                    "zh_cn": "机器人不认识这张卡片，未做任何操作。"}}
PROCESSING = {"type": "info", "content": "Processing… the card will update when it is done.",
              "i18n": {"en_us": "Processing… the card will update when it is done.", "zh_cn": "处理中……完成后卡片会自动更新。"}}
BUSY = {"type": "warning", "content": "The bot is busy; please click again.",
        "i18n": {"en_us": "The bot is busy; please click again.", "zh_cn": "机器人繁忙，请重试。"}}
_COUNT_SUFFIX = re.compile(r" \(\d+\)$")

log = logging.getLogger("bench.lean")


class Refused(Exception):
    """A callback refused with an HTTP status and a reason (answered `{"error": reason}`)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Conflict(Exception):
    """A write that must not happen (the card moved past the version read, the delivery is not ours)."""


@dataclass(frozen=True, slots=True)
class Click:
    """An authenticated vote click."""

    trigger: bool
    delivery_id: str
    message_id: str
    operator: str
    value: Any
    time_checked: bool


# --- 1. verify: signature, timestamp window, decryption, the delivery's identity ----------------------------

def open_click(raw: bytes, headers: Any, now: float) -> Click:
    """The click in a signed callback; Refused(400/401/403) otherwise."""
    body = _json_object(raw, "body")
    trigger = "encrypt" in body or "schema" in body
    secret = ENCRYPT_KEY if trigger else VERIFICATION_TOKEN
    if not secret:
        raise Refused(403, "no secret is configured for this callback format")
    signature = headers.get("x-lark-signature")
    if signature is None:
        raise Refused(401, "missing X-Lark-Signature")
    timestamp = headers.get("x-lark-request-timestamp", "")
    signed = (timestamp + headers.get("x-lark-request-nonce", "") + secret).encode() + raw
    expected = (hashlib.sha256 if trigger else hashlib.sha1)(signed).hexdigest()
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Refused(401, "signature mismatch")
    time_checked = _fresh(_header_time(timestamp), now)
    if trigger:
        payload = _json_object(_decrypt(body.get("encrypt")), "decrypted body") if "encrypt" in body else body
        header, event = _object(payload, "header"), _object(payload, "event")
        if payload.get("schema") != "2.0" or header.get("event_type") != "card.action.trigger":
            raise Refused(400, "not a card.action.trigger callback")
        if VERIFICATION_TOKEN and not _same(header.get("token"), VERIFICATION_TOKEN):
            raise Refused(403, "wrong verification token")
        time_checked = _fresh(_create_time(header.get("create_time")), now) or time_checked
        context = _object(event, "context")
        operator, action = _object(event, "operator"), _object(event, "action")
        delivery_id = "v2:" + _text(header, "event_id")
        message_id = _text(context, "open_message_id")
        person = _person(operator)
    else:
        if "action" not in body or "open_message_id" not in body:
            raise Refused(400, "not a callback Lark sends")
        action = _object(body, "action")
        message_id, person = _text(body, "open_message_id"), _person(body)
        signed_fields = [body.get("token"), message_id, person, action]
        delivery_id = "v1:" + hashlib.sha256(orjson.dumps(signed_fields, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return Click(trigger, delivery_id, message_id, person, action.get("value"), time_checked)


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Refused(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, f"{what} is not a JSON object")
    return value


_AES_KEY = hashlib.sha256(ENCRYPT_KEY.encode()).digest()


def _decrypt(encrypted: object) -> bytes:
    """base64(iv ‖ AES-256-CBC(PKCS7)) with key SHA-256(encrypt key); one reason for every failure."""
    try:
        if not isinstance(encrypted, str):
            raise ValueError("not a string")
        raw = base64.b64decode(encrypted, validate=True)
        if len(raw) < 32 or len(raw) % 16:
            raise ValueError("bad length")
        decryptor = Cipher(algorithms.AES(_AES_KEY), modes.CBC(raw[:16])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(decryptor.update(raw[16:]) + decryptor.finalize()) + unpadder.finalize()
    except (ValueError, TypeError):
        raise Refused(400, "cannot decrypt the body") from None


def _header_time(timestamp: str) -> float | None:
    """Epoch seconds of a signature timestamp (digits: seconds, 13 digits: milliseconds; or an HTTP date in
    Lark's China Standard Time), None when it names no time (then only the delivery record stops a replay)."""
    if timestamp.isascii() and timestamp.isdigit():
        return float("inf") if len(timestamp) > 15 else int(timestamp) / (1000 if len(timestamp) == 13 else 1)
    parsed = email.utils.parsedate_tz(timestamp)
    if parsed is None:
        return None
    if timestamp.rstrip().endswith(" CST"):
        parsed = (*parsed[:9], 8 * 3600)
    return float(email.utils.mktime_tz(parsed))


def _create_time(value: object) -> float | None:
    """`header.create_time` in seconds (sent in micro- or milliseconds), None when it is no timestamp."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20):
        return None
    number = int(value)
    return number / 1e6 if number > 1e14 else number / 1e3 if number > 1e11 else float(number)


def _fresh(moment: float | None, now: float) -> bool:
    """Refuse a known time outside the window; whether there was one to check."""
    if moment is None:
        return False
    if abs(moment - now) > TOLERANCE:
        raise Refused(401, "stale request timestamp")
    return True


def _same(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise Refused(400, f"{key} must be a JSON object")
    return value


def _text(parent: dict[str, Any], key: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise Refused(400, f"{key} must be a non-empty string")
    return value


def _person(fields: dict[str, Any]) -> str:
    """The clicker's id as cardbot keys people: the open_id, else the user_id, else the union_id."""
    for key in ("open_id", "user_id", "union_id"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    raise Refused(400, "open_id (or user_id or union_id) must be a non-empty string")


# --- 2. the group commit: every write of one loop turn in one transaction, committed before it returns --------

class GroupCommit:
    """`await commit.write(function, *args)` runs `function(conn, *args)` with the other writes of this loop
    turn in one transaction (a savepoint each when there are several: one that raises Conflict is undone
    alone) and returns its result once committed. Any other error fails the whole batch, nothing written."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._pending: list[tuple[Callable[..., Any], tuple, asyncio.Future]] = []

    def write(self, function: Callable[..., Any], *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._flush)
        future = loop.create_future()
        self._pending.append((function, args, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        conn, savepoints = self._conn, len(batch) > 1
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for function, args, _ in batch:
                if savepoints:
                    conn.execute("SAVEPOINT write")
                try:
                    outcomes.append((function(conn, *args), None))
                except Conflict as conflict:
                    conn.execute("ROLLBACK TO write" if savepoints else "ROLLBACK")
                    outcomes.append((None, conflict))
                if savepoints:
                    conn.execute("RELEASE write")
            if conn.in_transaction:
                conn.execute("COMMIT")
        except Exception as fault:  # noqa: BLE001 - a database error (or a bug) fails the whole batch, never hangs it
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(None, fault)] * len(batch)
        for (_, _, future), (result, error) in zip(batch, outcomes):
            if future.cancelled():
                continue
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)


def claim(conn: sqlite3.Connection, delivery_id: str, message_id: str, holder: str, now: float,
          keep_forever: bool) -> bool:
    """Record the delivery as running for `holder`; False when an earlier copy holds the record."""
    return conn.execute(
        "INSERT INTO deliveries (delivery_id, message_id, status, holder, created_at, keep_forever) "
        "VALUES (?, ?, 'running', ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET holder = deliveries.holder "
        "WHERE deliveries.holder = excluded.holder RETURNING 1",
        (delivery_id, message_id, holder, now, 1 if keep_forever else None)).fetchone() is not None


def finish(conn: sqlite3.Connection, delivery_id: str, holder: str, status: str, toast: bytes,
           version: int | None, now: float) -> None:
    """The delivery's outcome and answer (its toast, unless "processing" went out first)."""
    if conn.execute(
        "UPDATE deliveries SET status = ?, toast = CASE WHEN answer IS NULL THEN ? ELSE toast END, plugin = ?, "
        "version = ?, finished_at = ?, answer = COALESCE(answer, 'result') "
        "WHERE delivery_id = ? AND holder = ? AND status = 'running'",
        (status, toast.decode(), PLUGIN, version, now, delivery_id, holder)).rowcount != 1:
        raise Conflict(f"delivery {delivery_id} is no longer running")


def commit_vote(conn: sqlite3.Connection, click: Click, holder: str, version: int, card_json: bytes,
                patch_json: bytes, state: list[tuple[str, str]], now: float) -> None:
    """The new card (compare-and-swap on `version`), its history row, the vote's state and the answer."""
    if conn.execute("UPDATE cards SET card = ?, version = ?, updated_at = ? WHERE message_id = ? AND version = ?",
                    (card_json.decode(), version + 1, now, click.message_id, version)).rowcount != 1:
        raise Conflict(f"card {click.message_id} is no longer at version {version}")
    conn.execute("INSERT INTO history (message_id, version, made_by, plugin, button_type, operator, delivery_id, "
                 "patch, created_at) VALUES (?, ?, 'plugin', ?, 'vote', ?, ?, ?, ?)",
                 (click.message_id, version + 1, PLUGIN, click.operator, click.delivery_id, patch_json.decode(), now))
    conn.executemany("INSERT INTO plugin_state (plugin, message_id, key, value) VALUES (?, ?, ?, ?) "
                     "ON CONFLICT (plugin, message_id, key) DO UPDATE SET value = excluded.value",
                     [(PLUGIN, click.message_id, key, value) for key, value in state])
    finish(conn, click.delivery_id, holder, "done", orjson.dumps(COUNTED), version + 1, now)


def mark_processing(conn: sqlite3.Connection, delivery_id: str, holder: str) -> bool:
    """Record that "processing" answered the click; False when it finished (or is another copy's)."""
    return conn.execute("UPDATE deliveries SET answer = 'processing', toast = ? WHERE delivery_id = ? "
                        "AND holder = ? AND status = 'running'",
                        (orjson.dumps(PROCESSING).decode(), delivery_id, holder)).rowcount == 1


# --- 3. the vote: what plugins/vote does on a stored poll card -------------------------------------------------

def vote_buttons(node: Any, path: str = "") -> list[tuple[dict[str, Any], str, dict[str, Any]]]:
    """(button, JSON Pointer of its text, its vote value) for every vote button (JSON 1.0 `value` or 2.0
    callback `behaviors`), in card order."""
    found: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            found += vote_buttons(item, f"{path}/{index}")
    elif isinstance(node, dict):
        values = [node.get("value")] + [b.get("value") for b in node.get("behaviors") or () if isinstance(b, dict)]
        value = next((v for v in values if isinstance(v, dict) and v.get("button_type") == "vote"
                      and isinstance(v.get("option"), str)), None)
        text = node.get("text")
        if value is not None and isinstance(text, dict) and isinstance(text.get("content"), str):
            return [(node, f"{path}/text/content", value)]
        for key, item in node.items():
            if key not in ("value", "behaviors") and isinstance(item, (dict, list)):
                found += vote_buttons(item, f"{path}/{key.replace('~', '~0').replace('/', '~1')}")
    return found


@dataclass(frozen=True, slots=True)
class Result:
    """How a click ends: its toast, the card to answer (None: unchanged), and what to commit."""

    outcome: str
    toast: dict[str, Any]
    card: dict[str, Any] | None = None
    card_json: bytes = b""
    patch_json: bytes = b""
    state: tuple[tuple[str, str], ...] = ()


def vote(card: dict[str, Any], state: dict[str, str], click: Click) -> Result:
    """The vote plugin's step: stale guard, closed poll, move the vote, relabel, size check."""
    buttons = vote_buttons(card)
    if not any(value == click.value for _, _, value in buttons):
        return Result("stale", STALE, card)
    if state.get("closed") not in (None, "false", "null"):
        return Result("done", CLOSED)
    option = click.value.get("option") if isinstance(click.value, dict) else None
    if not isinstance(option, str) or not option:
        return Result("declined", NO_OPTION)
    voter = f"voter:{click.operator}"
    previous = orjson.loads(state[voter]) if voter in state else None
    if previous == option:
        return Result("done", SAME)
    first_vote = "counts" not in state
    counts: dict[str, int] = {} if first_vote else orjson.loads(state["counts"])
    if previous is not None:
        counts[previous] = max(0, counts.get(previous, 0) - 1)
    counts[option] = counts.get(option, 0) + 1
    ops = []
    for button, path, value in buttons:
        text = button["text"]["content"]
        label = f"{text if first_vote else _COUNT_SUFFIX.sub('', text)} ({counts.get(value['option'], 0)})"
        button["text"]["content"] = label
        ops.append({"op": "replace", "path": path, "value": label})
    card_json = orjson.dumps(card)
    if len(card_json) > MAX_CARD_BYTES:
        return Result("failed", FAILED)
    return Result("done", COUNTED, card, card_json, orjson.dumps({"ops": ops, "toast": COUNTED}),
                  (("counts", orjson.dumps(counts).decode()), (voter, orjson.dumps(option).decode())))


# --- 4. the click: claim, the card's turn, read, vote, commit; a repeat; the deadline --------------------------

class Lean:
    """The reference's state in its one worker: the database connections, the group commit, the card locks."""

    def __init__(self, database: Path) -> None:
        self.writes = GroupCommit(_connect(database))
        self.reads = _connect(database)
        self.locks: dict[str, list[Any]] = {}  # card → [asyncio.Lock, clicks using it]
        self.holders = (f"lean/{os.getpid()}/{n}" for n in itertools.count())
        checkpoints = _connect(database)
        threading.Thread(target=_checkpoint_every_second, args=(checkpoints,), name="lean-checkpoint",
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


def _connect(database: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(database, isolation_level=None, timeout=2.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints (and their fsync) run on the helper thread
    return conn


def _checkpoint_every_second(conn: sqlite3.Connection) -> None:
    while True:
        time.sleep(1.0)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:
            pass


# --- 5. the server -----------------------------------------------------------------------------------------------

async def callback(request: Request) -> response.HTTPResponse:
    started = time.monotonic()
    try:
        click = open_click(request.body, request.headers, time.time())
    except Refused as refused:
        return response.raw(orjson.dumps({"error": refused.reason}), status=refused.status,
                            content_type="application/json")
    body = await request.app.ctx.lean.answer(click, started)
    return response.raw(orjson.dumps(body), content_type="application/json")


async def healthz(request: Request) -> response.HTTPResponse:
    return response.text("ok")


def create_app(database: Path) -> Sanic:
    """The app; the database must be a cardbot database (bench.workloads.fill_database makes one)."""
    app = Sanic("lean_ref")
    app.config.ACCESS_LOG = False
    app.config.MOTD = False
    app.config.REQUEST_MAX_SIZE = 1024 * 1024  # [bot] max_body_bytes
    app.add_route(callback, "/lark/callback", methods=["POST"])
    app.add_route(healthz, "/healthz", methods=["GET"])

    @app.before_server_start
    async def open_database(app: Sanic) -> None:
        app.ctx.lean = Lean(database)
        gc.collect()  # as cardbot's serving workers do (core/web/gc_tuning.py)
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lean_ref", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a cardbot database (SQLite file)")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if not VERIFICATION_TOKEN and not ENCRYPT_KEY:
        parser.error("set LARK_VERIFICATION_TOKEN and/or LARK_ENCRYPT_KEY")
    problem = _not_a_cardbot_database(args.db)
    if problem:
        parser.error(problem)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    app = create_app(args.db)
    app.prepare(host="127.0.0.1", port=args.port, single_process=True)
    Sanic.serve_single(primary=app)


def _not_a_cardbot_database(path: Path) -> str | None:
    if not path.is_file():
        return f"no database at {path}"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.close()
    except sqlite3.DatabaseError as error:
        return f"cannot read {path}: {error}"
    missing = {"cards", "history", "deliveries", "plugin_state"} - tables
    return f"{path} is not a cardbot database (no {', '.join(sorted(missing))} table)" if missing else None


if __name__ == "__main__":
    main()
