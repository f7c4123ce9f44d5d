"""run_batch and the Writer: one transaction per batch, a savepoint per write, so a failing write never
takes the others down with it and a batch tried again never applies a write twice; database faults are
told apart and logged once per episode."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cardbot.errors import StoreBusy
from cardbot.store.presence import DatabaseFile
from cardbot.store.schema import connect
from cardbot.store.writer import DatabaseThread, Writer, run_batch


@pytest.fixture
def conn(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    yield conn
    conn.close()


async def insert(tx, key):
    conn = tx.conn
    conn.execute("INSERT INTO t VALUES (?)", (key,))
    return key


async def fail_before_writing(tx):
    raise ValueError("nothing written")


async def fail_after_writing(tx):
    conn = tx.conn
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


@pytest.mark.parametrize("failing", [fail_before_writing, fail_after_writing])
def test_a_failing_write_alone_in_its_batch_is_undone(conn, failing):
    [(result, error)] = run_batch(conn, [(failing, ())])
    assert result is None and isinstance(error, ValueError)
    assert keys(conn) == [] and not conn.in_transaction
    assert run_batch(conn, [(insert, ("next",))]) == [("next", None)]


def test_a_locked_database_is_store_busy_and_writes_nothing(conn, tmp_path):
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None, timeout=0)
    conn.execute("PRAGMA busy_timeout = 0")
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy):
        run_batch(conn, [(insert, ("a",))])
    other.execute("ROLLBACK")
    assert keys(conn) == []


# -- the Writer and its thread, against a database that another connection really locks -----------

async def bump(tx):
    conn = tx.conn
    conn.execute("UPDATE n SET v = v + 1")
    return "bumped"


def counter(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT v FROM n").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "w.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
    conn.execute("CREATE TABLE n (v INTEGER)")
    conn.execute("INSERT INTO n VALUES (0)")
    conn.close()
    return path


class LockAfterCommit:
    """Another connection takes the write lock the moment this connection begins a transaction after
    `commits` commits (the database locked between two transactions of one batch), until released."""

    def __init__(self, conn, path, commits=1):
        self.locker = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
        self.commits = commits
        self.locked = threading.Event()
        conn.set_trace_callback(self._trace)

    def _trace(self, statement):
        if statement == "COMMIT":
            self.commits -= 1
        elif statement.startswith("BEGIN") and self.commits <= 0 and not self.locked.is_set():
            self.locker.execute("BEGIN IMMEDIATE")
            self.locked.set()

    def release(self):
        self.locked.set()  # and never again
        if self.locker.in_transaction:
            self.locker.execute("ROLLBACK")


def write_three_while_locked(db_path, loop_conn, unlock) -> None:
    """A write that commits, one that fails after writing, and another, in one batch on a Writer, with
    `unlock()` called 0.2 s in; each write must be applied exactly once."""
    thread_conn = connect(db_path)

    async def main():
        writer = Writer(loop_conn, thread_conn, busy_timeout=30.0)
        try:
            asyncio.get_running_loop().call_later(0.2, unlock)
            return await asyncio.gather(writer.write(bump), writer.write(fail_after_writing),
                                        writer.write(insert, "b"), return_exceptions=True)
        finally:
            writer.close()
            loop_conn.close()

    results = asyncio.run(main())
    assert results[0] == "bumped" and isinstance(results[1], ValueError) and results[2] == "b"
    assert counter(db_path) == 1  # the first write committed once, not once per try
    conn = sqlite3.connect(db_path)
    assert keys(conn) == ["b"]
    conn.close()


def test_a_batch_is_never_applied_twice_when_the_database_is_locked_midway(db_path):
    loop_conn = connect(db_path)
    lock = LockAfterCommit(loop_conn, db_path)
    try:
        write_three_while_locked(db_path, loop_conn, lock.release)
    finally:
        lock.release()


def test_a_batch_that_meets_a_locked_database_is_tried_again_and_applies_each_write_once(db_path):
    """The retry path itself: the database is locked before the batch begins, so its BEGIN fails and the
    whole batch is tried again later."""
    loop_conn = connect(db_path)
    begins: list[str] = []
    loop_conn.set_trace_callback(lambda statement: begins.append(statement) if statement.startswith("BEGIN") else None)
    locker = sqlite3.connect(db_path, isolation_level=None, timeout=0)
    locker.execute("BEGIN IMMEDIATE")
    try:
        write_three_while_locked(db_path, loop_conn, lambda: locker.execute("ROLLBACK"))
    finally:
        locker.close()
    assert len(begins) > 1  # the batch really met the lock and was tried again


def test_blocking_writes_hear_their_own_outcome_when_the_database_is_locked_midway(db_path):
    thread_conn = connect(db_path, busy_timeout=0.05)
    lock = LockAfterCommit(thread_conn, db_path, commits=2)  # the blocker's batch commits first
    thread = DatabaseThread(thread_conn)
    started, go = threading.Event(), threading.Event()

    async def blocker(tx):  # holds the thread's first batch until the three writes below are queued behind it
        started.set()
        go.wait(30)

    pool = ThreadPoolExecutor(4)
    try:
        pool.submit(thread.write_blocking, blocker)
        assert started.wait(30)
        futures = []
        for call in [(bump,), (fail_after_writing,), (insert, "b")]:
            futures.append(pool.submit(thread.write_blocking, *call))
            wait_until(lambda: thread._queue.qsize() == len(futures))
        go.set()
        outcomes = [future.exception(30) or future.result() for future in futures]
    finally:
        go.set()
        pool.shutdown()
        thread.close()
        lock.release()
    assert outcomes[0] == "bumped" and isinstance(outcomes[1], ValueError) and outcomes[2] == "b"
    assert counter(db_path) == 1


def test_a_database_fault_inside_a_call_fails_the_whole_batch_and_writes_nothing(conn):
    conn.execute("PRAGMA max_page_count = %d" % conn.execute("PRAGMA page_count").fetchone()[0])

    async def big(tx):
        conn = tx.conn
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))

    with pytest.raises(StoreBusy) as raised:
        run_batch(conn, [(insert, ("a",)), (big, ())])
    assert raised.value.state == "full"
    assert keys(conn) == [] and not conn.in_transaction


def test_a_damaged_database_is_malformed_not_busy(db_path):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.executemany("INSERT INTO t VALUES (?)", [(f"{i:04d}" + "x" * 200,) for i in range(400)])
    conn.close()
    with open(db_path, "r+b") as file:  # every page but the first (the schema) becomes garbage
        file.seek(4096)
        file.write(bytes(range(256)) * (len(db_path.read_bytes()) // 256))
    conn = sqlite3.connect(db_path, isolation_level=None)
    with pytest.raises(StoreBusy) as raised:
        run_batch(conn, [(insert, ("new",))])
    conn.close()
    assert raised.value.state == "malformed"


def test_a_full_disk_fails_writes_at_once_and_is_logged_once_per_episode(db_path, caplog):
    loop_conn, thread_conn = connect(db_path), connect(db_path)
    full_at = loop_conn.execute("PRAGMA page_count").fetchone()[0]

    async def big(tx, key):
        conn = tx.conn
        conn.execute("INSERT INTO t VALUES (?)", (key + "x" * 50_000,))

    async def main():
        writer = Writer(loop_conn, thread_conn, busy_timeout=1.0)  # "full" is not retried until busy_timeout
        try:
            loop_conn.execute(f"PRAGMA max_page_count = {full_at}")
            failures = [await asyncio.gather(writer.write(big, f"{i}"), return_exceptions=True) for i in range(20)]
            loop_conn.execute("PRAGMA max_page_count = 1000000")
            await writer.write(big, "fits")
            return failures
        finally:
            writer.close()
            loop_conn.close()

    with caplog.at_level(logging.INFO, logger="cardbot.store"):
        failures = asyncio.run(main())
    assert all(isinstance(error, StoreBusy) and error.state == "full" for [error] in failures)
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "full" in errors[0].getMessage()
    recovered = [record.getMessage() for record in caplog.records if "working again" in record.getMessage()]
    assert len(recovered) == 1 and "20 write(s) failed" in recovered[0]


def test_a_removed_database_file_stops_writes(db_path):
    loop_conn, thread_conn = connect(db_path), connect(db_path)

    async def main():
        writer = Writer(loop_conn, thread_conn, busy_timeout=30.0, file=DatabaseFile(db_path))
        try:
            await writer.write(insert, "before")
            db_path.unlink()
            with pytest.raises(StoreBusy) as raised:
                await writer.write(insert, "after")
            with pytest.raises(StoreBusy):
                writer.thread.write_blocking(insert, "blocking")
            return raised.value.state, writer.health()
        finally:
            writer.close()
            loop_conn.close()

    assert asyncio.run(main()) == ("missing", "missing")


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)
