"""run_batch: one transaction per batch, and a failing write never takes the others down with it."""

from __future__ import annotations

import sqlite3

import pytest

from cardbot.errors import StoreBusy
from cardbot.store.writer import run_batch


@pytest.fixture
def conn(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    yield conn
    conn.close()


def insert(conn, key):
    conn.execute("INSERT INTO t VALUES (?)", (key,))
    return key


def fail_before_writing(conn):
    raise ValueError("nothing written")


def fail_after_writing(conn):
    conn.execute("INSERT INTO t VALUES ('half')")
    raise ValueError("written, then failed")


def keys(conn):
    return sorted(row[0] for row in conn.execute("SELECT k FROM t"))


def test_a_batch_commits_every_write(conn):
    assert run_batch(conn, [(insert, ("a",)), (insert, ("b",))]) == [("a", None), ("b", None)]
    assert keys(conn) == ["a", "b"]


@pytest.mark.parametrize("failing", [fail_before_writing, fail_after_writing])
def test_a_failing_write_is_undone_alone(conn, failing):
    outcomes = run_batch(conn, [(insert, ("a",)), (failing, ()), (insert, ("b",))])
    assert outcomes[0] == ("a", None) and outcomes[2] == ("b", None)
    assert isinstance(outcomes[1][1], ValueError)
    assert keys(conn) == ["a", "b"]  # never 'half'
    assert not conn.in_transaction


def test_a_locked_database_is_store_busy_and_writes_nothing(conn, tmp_path):
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None, timeout=0)
    conn.execute("PRAGMA busy_timeout = 0")
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy):
        run_batch(conn, [(insert, ("a",))])
    other.execute("ROLLBACK")
    assert keys(conn) == []
