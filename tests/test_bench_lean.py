"""The lean reference (bench/lean/) does the vote job with cardbot's guarantees: a real server process,
real signed callbacks of both formats, and the database read behind it."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bench.requests_file import ENCRYPT_KEY, VERIFICATION_TOKEN
from bench.servers import Server, lean_server
from bench.workloads import WORKLOADS, fill_database, poll_id, start_cards
from cardbot.testing import LarkCallbacks

KIT = LarkCallbacks(VERIFICATION_TOKEN, ENCRYPT_KEY)
FORMATS = {"trigger": KIT.card_action_trigger, "legacy": KIT.legacy_card_action}
YES = {"button_type": "vote", "option": "yes"}
NO = {"button_type": "vote", "option": "no"}


@pytest.fixture(scope="module")
def lean(tmp_path_factory) -> Iterator[Server]:
    """The lean reference serving workload (a)'s 1,000 poll cards (each test votes on cards of its own)."""
    directory = tmp_path_factory.mktemp("lean")
    fill_database(directory / "cardbot.db", start_cards(WORKLOADS["a"], 0))
    server = lean_server(directory / "cardbot.db", directory / "server.log").start()
    yield server
    server.stop()


def post(server: Server, request: tuple[bytes, dict[str, str]]) -> requests.Response:
    body, headers = request
    return requests.post(f"http://127.0.0.1:{server.port}/lark/callback", data=body, headers=headers, timeout=10)


def stored(server: Server, message_id: str) -> tuple[int, dict[str, Any]]:
    """The card's version and its vote state (key → value) as committed now."""
    with sqlite3.connect(Path(server.log_path).with_name("cardbot.db")) as conn:
        version = conn.execute("SELECT version FROM cards WHERE message_id = ?", (message_id,)).fetchone()[0]
        state = {key: json.loads(value) for key, value in conn.execute(
            "SELECT key, value FROM plugin_state WHERE plugin = 'vote' AND message_id = ?", (message_id,))}
    return version, state


def labels(card: dict[str, Any]) -> list[str]:
    return [button["text"]["content"] for button in card["elements"][1]["actions"]]


@pytest.mark.parametrize("fmt, card_number", [("trigger", 1), ("legacy", 2)])
def test_a_signed_vote_is_counted_committed_and_answered_as_cardbot_answers(lean, fmt, card_number):
    message_id = poll_id(card_number)
    answer = post(lean, FORMATS[fmt](message_id=message_id, open_id="ou_voter", value=YES))
    assert answer.status_code == 200
    body = answer.json()
    assert body["toast"] == {"type": "success", "content": "Vote counted",
                             "i18n": {"en_us": "Vote counted", "zh_cn": "投票成功"}}
    card = body["card"]["data"] if fmt == "trigger" else body
    assert (fmt != "trigger" or body["card"]["type"] == "raw") and labels(card) == [
        "Yes (1)", "No (0)", "Later (0)", "Abstain (0)"]
    assert stored(lean, message_id) == (2, {"counts": {"yes": 1}, "voter:ou_voter": "yes"})  # before the answer
    with sqlite3.connect(Path(lean.log_path).with_name("cardbot.db")) as conn:
        patch, = conn.execute("SELECT patch FROM history WHERE message_id = ? AND version = 2",
                              (message_id,)).fetchone()
        status, = conn.execute("SELECT status FROM deliveries WHERE message_id = ?", (message_id,)).fetchone()
    assert json.loads(patch)["ops"][0] == {"op": "replace", "path": "/elements/1/actions/0/text/content",
                                           "value": "Yes (1)"}
    assert status == "done"
    logged = [line for line in lean.log_path.read_text().splitlines() if f"click on {message_id}:" in line]
    assert len(logged) == 1 and " INFO " in logged[0] and "plugin=vote outcome=done version=2 ms=" in logged[0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_signature_is_refused(lean, fmt):
    body, headers = FORMATS[fmt](message_id=poll_id(3), open_id="ou_forger", value=YES)
    headers["X-Lark-Signature"] = "0" * len(headers["X-Lark-Signature"])
    answer = post(lean, (body, headers))
    assert (answer.status_code, answer.json()) == (401, {"error": "signature mismatch"})
    assert stored(lean, poll_id(3)) == (1, {})


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_stale_timestamp_is_refused(lean, fmt):
    request = FORMATS[fmt](message_id=poll_id(3), open_id="ou_late", value=YES, timestamp=str(int(time.time()) - 600))
    answer = post(lean, request)
    assert (answer.status_code, answer.json()) == (401, {"error": "stale request timestamp"})
    assert stored(lean, poll_id(3)) == (1, {})


@pytest.mark.parametrize("fmt, card_number", [("trigger", 4), ("legacy", 5)])
def test_a_repeated_delivery_answers_the_first_toast_without_counting_twice(lean, fmt, card_number):
    request = FORMATS[fmt](message_id=poll_id(card_number), open_id="ou_twice", value=YES)
    first, again = post(lean, request), post(lean, request)
    assert first.json()["toast"]["content"] == again.json()["toast"]["content"] == "Vote counted"
    assert stored(lean, poll_id(card_number)) == (2, {"counts": {"yes": 1}, "voter:ou_twice": "yes"})


def test_a_person_s_vote_moves_and_the_same_vote_changes_nothing(lean):
    message_id = poll_id(6)
    post(lean, KIT.card_action_trigger(message_id=message_id, open_id="ou_a", value=YES))
    post(lean, KIT.card_action_trigger(message_id=message_id, open_id="ou_b", value=YES))
    moved = post(lean, KIT.legacy_card_action(message_id=message_id, open_id="ou_a", value=NO)).json()
    assert labels(moved) == ["Yes (1)", "No (1)", "Later (0)", "Abstain (0)"]
    same = post(lean, KIT.card_action_trigger(message_id=message_id, open_id="ou_a", value=NO)).json()
    assert same == {"toast": {"type": "info", "content": "You already voted for this option",
                              "i18n": {"en_us": "You already voted for this option", "zh_cn": "你已经投过这个选项"}}}
    assert stored(lean, message_id) == (4, {"counts": {"yes": 1, "no": 1}, "voter:ou_a": "no", "voter:ou_b": "yes"})
