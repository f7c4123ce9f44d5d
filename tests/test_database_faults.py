"""A database that fails under a running server: clicks get the "busy" toast (never a result that is
then lost), `/healthz` tells the database's state (503 only when it is unusable), and each fault is
logged once per episode, not once per retry."""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from support import SEED_BUTTON, new_message_id, put_card, seed_card, small_file_system

CONFIG = '[bot]\ndatabase = "{database}"\nbusy_timeout = 0.3\n[plugins.publish]\nenabled = true\n'


def click(server, kit, message_id):
    body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 200
    return response.json()


def is_busy_toast(answer) -> bool:
    return set(answer) == {"toast"} and "busy" in answer["toast"]["content"]


def health(server):
    response = server.session.get(server.base_url + "/healthz", timeout=10)
    return response.status_code, response.json()


def log_lines(server, level: str, since: int = 0) -> list[str]:
    return [line for line in server.log()[since:].splitlines() if re.search(rf"\b{level}\b", line)]


def assert_one_unusable_episode(server, kit, message_id, clicks: int, state: str, said: str) -> int:
    """`clicks` clicks all get the busy toast (never a result that would vanish), /healthz answers 503 with
    `state`, and the log has exactly one ERROR line for the episode, saying `said`; returns the log mark."""
    mark = len(server.log())
    answers = [click(server, kit, message_id) for _ in range(clicks)]
    assert all(is_busy_toast(answer) for answer in answers), answers
    status, body = health(server)
    assert status == 503 and body["database"] == state and body["status"] == "unavailable"
    errors = log_lines(server, "ERROR", mark)
    assert len(errors) == 1 and said in errors[0], errors  # once for the episode, not per click or retry
    return mark


def test_locked_then_removed_database(server_factory, kit, tmp_path):
    server = server_factory(CONFIG.format(database="data/cardbot.db"))
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    status, body = health(server)
    assert status == 200 and body["database"] == "ok" and body["status"] == "ok"

    locker = sqlite3.connect(server.directory / "data" / "cardbot.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock: busy, but the host still works
    try:
        assert is_busy_toast(click(server, kit, message_id))
        status, body = health(server)
        assert status == 200 and body["database"] == "busy" and body["status"] == "degraded"
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert health(server) == (200, {**body, "status": "ok", "database": "ok"})  # over once the lock is gone

    shutil.rmtree(server.directory / "data")  # the file and its folder, under the running server
    assert_one_unusable_episode(server, kit, message_id, 3, "missing", "is gone")


def test_a_damaged_database_is_malformed_not_busy(server_factory, kit):
    server = server_factory(CONFIG.format(database="cardbot.db"))
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    damage = sqlite3.connect(server.directory / "cardbot.db", isolation_level=None)
    damage.execute("PRAGMA writable_schema = ON")  # point the deliveries table at a page that is no table
    damage.execute("UPDATE sqlite_master SET rootpage = 99999 WHERE name = 'deliveries'")
    damage.execute(f"PRAGMA schema_version = {damage.execute('PRAGMA schema_version').fetchone()[0] + 1}")
    damage.close()

    assert_one_unusable_episode(server, kit, message_id, 3, "malformed", "damaged")


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB file system of its own (a tmpfs), unmounted afterwards."""
    with small_file_system(tmp_path / "disk", "2m", "no small disk to fill") as mount_point:
        yield mount_point


def fill(directory: Path) -> Path:
    """Write a file until the disk is full; returns it."""
    filler = directory / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC, error
    finally:
        os.close(descriptor)
    return filler


def test_a_full_disk_is_logged_once_and_recovers(server_factory, kit, small_disk):
    database = small_disk / "cardbot.db"
    server = server_factory(CONFIG.format(database=database))
    try:
        message_id = new_message_id()
        put_card(server, message_id, seed_card())
        checkpoint = sqlite3.connect(database, isolation_level=None)
        assert checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # an empty WAL must grow
        checkpoint.close()
        filler = fill(small_disk)

        mark = assert_one_unusable_episode(server, kit, message_id, 5, "full", "full")

        filler.unlink()
        status, body = health(server)
        assert status == 200 and body["database"] == "ok"
        assert "now working again" in server.log()[mark:]
        assert click(server, kit, message_id)["toast"]["content"] == "已完成"
        assert len(log_lines(server, "ERROR", mark)) == 1
    finally:
        server.stop()  # before the disk is unmounted
