"""Delivery records and old history are pruned after their retention; nothing current is ever pruned."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from cardbot.config import parse_config
from cardbot.errors import ConfigError
from cardbot.store.retention import prune_batch
from cardbot.store.schema import open_database
from cardbot.store.tx import SqliteTx, drive
from support import button_card, new_message_id, put_card, show_card


COUNTER = '[plugins.counter]\nenabled = true\nmodule = "cardbot_testplugins.counter"\n'
SHORT_RETENTION = ("timestamp_tolerance = 1\ndedupe_retention_hours = 0.0006\n"  # 2.16 s: outlives the 2 s window
                   "history_retention_days = 0.000025\n")  # 2.16 s


def prune(conn: sqlite3.Connection, now: float, **retention: float | None) -> dict[str, int]:
    """One batch of the shared prune SQL, on an SQLite connection."""
    return drive(prune_batch(SqliteTx(conn), now, **retention))


def now_ms() -> str:
    """A timestamp header in milliseconds, so a 1 s window never refuses a request built a moment ago."""
    return str(time.time_ns() // 1_000_000)


def click_twice(server, kit, message_id):
    put_card(server, message_id, button_card("count"))
    for _ in range(2):
        body, headers = kit.card_action_trigger(message_id=message_id, value={"button_type": "count", "button_id": "b1"},
                                                timestamp=now_ms())
        assert server.post("/lark/callback", body, headers).status_code == 200


def test_a_running_bot_prunes_expired_records_on_its_own(server_factory, kit):
    server = server_factory('[bot]\ndatabase = "cardbot.db"\n' + SHORT_RETENTION + COUNTER)
    message_id = new_message_id()
    click_twice(server, kit, message_id)
    card = show_card(server, message_id)["card"]
    deadline = time.monotonic() + 30
    while True:
        shown = show_card(server, message_id, history=True)
        if [entry["version"] for entry in shown["history"]] == [3] and not shown["clicks"]:
            break
        assert time.monotonic() < deadline, shown
        time.sleep(0.2)
    assert shown["card"] == card and shown["version"] == 3


def test_prune_command_forgets_old_deliveries_and_history_but_keeps_the_current_card(server_factory, kit):
    server = server_factory('[bot]\ndatabase = "cardbot.db"\n' + COUNTER)
    message_id = new_message_id()
    click_twice(server, kit, message_id)
    before = show_card(server, message_id, history=True)
    assert [entry["version"] for entry in before["history"]] == [1, 2, 3] and len(before["clicks"]) == 2
    server.stop()
    server.config_path.write_text('[bot]\ndatabase = "cardbot.db"\n' + SHORT_RETENTION + COUNTER)
    time.sleep(2.5)

    result = server.cli("prune")

    assert result.returncode == 0, result.stderr
    deleted = json.loads(result.stdout)["deleted"]
    assert (deleted["deliveries"], deleted["history"]) == (2, 2)
    after = show_card(server, message_id, history=True)
    assert after["card"] == before["card"] and after["version"] == 3
    assert [entry["version"] for entry in after["history"]] == [3] and after["clicks"] == []


def test_a_running_click_is_never_pruned_however_old(tmp_path):
    db = open_database(tmp_path / "cardbot.db")
    conn: sqlite3.Connection = db.conn
    old = time.time() - 10 * 86400
    conn.execute("INSERT INTO deliveries (delivery_id, message_id, status, created_at) VALUES "
                 "('done', 'om_1', 'done', ?), ('busy', 'om_1', 'running', ?)", (old, old))
    deleted = prune(conn, time.time(), dedupe_seconds=3600, history_seconds=None)
    assert deleted["deliveries"] == 1
    assert [row[0] for row in conn.execute("SELECT delivery_id FROM deliveries")] == ["busy"]


def test_prune_keeps_history_forever_when_given_no_history_retention(tmp_path):
    db = open_database(tmp_path / "cardbot.db")
    conn = db.conn
    old = time.time() - 1000 * 86400
    conn.execute("INSERT INTO cards (message_id, card, version, created_at, updated_at) VALUES ('om_1', '{}', 2, ?, ?)",
                 (old, old))
    conn.execute("INSERT INTO history (message_id, version, made_by, created_at) VALUES ('om_1', 1, 'put', ?), "
                 "('om_1', 2, 'plugin', ?)", (old, old))
    assert prune(conn, time.time(), dedupe_seconds=3600, history_seconds=None)["history"] == 0
    assert prune(conn, time.time(), dedupe_seconds=3600, history_seconds=86400)["history"] == 1
    assert [row[0] for row in conn.execute("SELECT version FROM history")] == [2]


def test_retention_defaults_are_one_day_of_deliveries_and_90_days_of_history():
    settings = parse_config({}, Path("plugins.toml")).bot
    assert settings.retention == (24 * 3600, 90 * 86400)


def test_history_retention_zero_in_the_config_means_keep_forever():
    settings = parse_config({"bot": {"history_retention_days": 0}}, Path("plugins.toml")).bot
    dedupe_seconds, history_seconds = settings.retention
    assert (dedupe_seconds, history_seconds) == (24 * 3600, None)


@pytest.mark.parametrize("tolerance, hours", [(300, 0.1), (3600, 1.9), (1, 0.0005)])
def test_delivery_records_must_outlive_the_replay_window(tolerance, hours):
    with pytest.raises(ConfigError) as refused:
        parse_config({"bot": {"timestamp_tolerance": tolerance, "dedupe_retention_hours": hours}}, Path("p.toml"))
    assert "dedupe_retention_hours" in str(refused.value) and "replay window" in str(refused.value)


def test_a_bot_whose_delivery_records_die_before_the_replay_window_does_not_start(server_factory):
    with pytest.raises(RuntimeError) as failed:
        server_factory('[bot]\ndatabase = "cardbot.db"\ndedupe_retention_hours = 0.1\n' + COUNTER)
    assert "exited with 2" in str(failed.value)
    assert "error: " in str(failed.value) and "must outlive the replay window" in str(failed.value)


def test_records_as_long_as_the_window_allows_are_accepted():
    settings = parse_config({"bot": {"timestamp_tolerance": 1800, "dedupe_retention_hours": 1}}, Path("p.toml")).bot
    assert settings.retention[0] == 3600


def test_a_click_whose_time_cannot_be_checked_is_remembered_for_good(server_factory, kit):
    """A legacy timestamp that names no time has no replay window, so its dedupe record is never pruned:
    replayed after the retention has passed, it still runs nothing. A checked one is refused as stale."""
    server = server_factory('[bot]\ndatabase = "cardbot.db"\n' + SHORT_RETENTION + COUNTER)
    opaque, normal = new_message_id(), new_message_id()
    value = {"button_type": "count", "button_id": "b1"}
    requests_sent = {}
    for message_id, opaque_timestamp in ((opaque, "not-a-time"), (normal, None)):
        put_card(server, message_id, button_card("count"))
        timestamp = opaque_timestamp or now_ms()  # taken after put_card: the window is only 1 s on a slow machine
        requests_sent[message_id] = kit.legacy_card_action(message_id=message_id, value=value, timestamp=timestamp)
        response = server.post("/lark/callback", *requests_sent[message_id])
        assert (response.status_code, response.json()["toast"]["content"]) == (200, "count 1")
    time.sleep(2.5)  # past dedupe_retention_hours (2.16 s) and the 1 s timestamp window

    assert server.cli("prune").returncode == 0
    assert len(show_card(server, opaque, history=True)["clicks"]) == 1   # kept
    assert show_card(server, normal, history=True)["clicks"] == []        # pruned

    replayed = server.post("/lark/callback", *requests_sent[opaque])
    assert (replayed.status_code, replayed.json()["toast"]["content"]) == (200, "count 1")  # the first answer
    assert show_card(server, opaque)["version"] == 2  # the plugin did not run again
    stale = server.post("/lark/callback", *requests_sent[normal])
    assert (stale.status_code, stale.json()) == (401, {"error": "stale request timestamp"})
