"""Card leases between processes: one holder at a time, a dead holder is replaced, waiting processes go next."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from cardbot.errors import ConfigError
from cardbot.store import clicks
from cardbot.store.liveness import _token_for, process_token
from cardbot.store.schema import SCHEMA_VERSION, open_database

A = process_token()
B = _token_for(os.getppid())  # another live process
DEAD = A.replace(f":{os.getpid()}:", ":999999:")
LEASE = 90.0


@pytest.fixture
def conn(tmp_path):
    db = open_database(tmp_path / "cardbot.db")
    yield db.conn
    db.conn.close()


def take(conn, holder):
    now = time.time()
    return clicks._take_lease(conn, "om_1", holder, now, now + LEASE)


def test_one_holder_at_a_time_and_the_holder_may_take_it_again(conn):
    assert take(conn, A)
    assert not take(conn, B)
    assert take(conn, A)  # kept for A's next click


def test_a_released_card_goes_to_the_process_waiting_in_line(conn):
    assert take(conn, A)
    assert not take(conn, B)  # B is now in line
    clicks.release_lease(conn, "om_1", A)
    assert not take(conn, A)  # A must let B go first
    assert take(conn, B)
    clicks.release_lease(conn, "om_1", B)
    assert take(conn, A)  # B's place in line ended when it took its turn


def test_a_waiting_process_that_stops_trying_loses_its_place(conn, monkeypatch):
    assert take(conn, A)
    assert not take(conn, B)
    clicks.release_lease(conn, "om_1", A)
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + clicks.WAIT_TURN_SECONDS + 1)
    assert take(conn, A)


def test_a_lease_held_by_a_dead_process_is_taken_over(conn):
    assert take(conn, DEAD)
    assert take(conn, A)


def test_a_version_1_database_gains_the_waiting_line(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("CREATE TABLE card_leases (message_id TEXT PRIMARY KEY, holder TEXT, expires_at FLOAT)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    db = open_database(tmp_path / "old.db")
    assert {"waiter", "waiter_until"} <= set(db["card_leases"].columns_dict)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_2_database_keeps_its_deliveries_and_gains_keep_forever(tmp_path):
    conn = sqlite3.connect(tmp_path / "v2.db")
    conn.execute("CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY, message_id TEXT, status TEXT NOT NULL, "
                 "answer TEXT, toast TEXT, plugin TEXT, version INTEGER, holder TEXT, detail TEXT, "
                 "created_at FLOAT, finished_at FLOAT)")
    conn.execute("INSERT INTO deliveries (delivery_id, message_id, status, created_at) VALUES ('v2:e', 'om_1', 'done', 1)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    db = open_database(tmp_path / "v2.db")
    assert "keep_forever" in db["deliveries"].columns_dict
    assert db.execute("SELECT delivery_id, keep_forever FROM deliveries").fetchall() == [("v2:e", None)]
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3


def test_a_database_from_a_newer_cardbot_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ConfigError, match=rf"{path} was written by a newer cardbot"):
        open_database(path)
