"""A database that cannot be used stops `serve` and `card put` at start: exit 2 and one `error:` line
naming the cause, never a traceback, never a server that starts anyway."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from cardbot.testing.server import free_port, server_environment
from support import BOT_COMMAND, SECRETS, TEST_PLUGINS, assert_one_error_line, seed_card


def a_folder(directory: Path) -> str:
    (directory / "db").mkdir()
    return "db"


def under_a_file(directory: Path) -> str:
    (directory / "plain").write_text("not a folder")
    return "plain/cardbot.db"


def with_a_nul(directory: Path) -> str:
    return "card\\u0000bot.db"


def foreign_tables(directory: Path) -> str:
    conn = sqlite3.connect(directory / "other.db")
    conn.execute("CREATE TABLE cards (id INTEGER PRIMARY KEY, title TEXT)")  # someone else's "cards"
    conn.commit()
    conn.close()
    return "other.db"


def random_bytes(directory: Path) -> str:
    (directory / "noise.db").write_bytes(bytes((i * 7919 + 13) % 256 for i in range(16384)))
    return "noise.db"


def truncated(directory: Path) -> str:
    whole = directory / "whole.db"
    conn = sqlite3.connect(whole)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 400)
    conn.commit()
    conn.close()
    data = whole.read_bytes()
    (directory / "cut.db").write_bytes(data[:len(data) // 3])
    return "cut.db"


CASES = {
    "a folder": (a_folder, "is a folder"),
    "a path under a file": (under_a_file, "is a file, not a folder"),
    "a NUL in the path": (with_a_nul, "NUL"),
    "other tables under cardbot's names": (foreign_tables, "not a cardbot database: its cards table lacks"),
    "random bytes": (random_bytes, "not an SQLite database"),
    "a truncated database": (truncated, "damaged"),
}


def run(directory: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BOT_COMMAND, *args, "--config", "plugins.toml"], cwd=directory, input=stdin,
                          capture_output=True, text=True, env=server_environment(SECRETS, (TEST_PLUGINS,)),
                          timeout=60)


@pytest.mark.parametrize("case", CASES)
def test_an_unusable_database_stops_serve_and_card_put_with_one_error_line(tmp_path, case):
    make, cause = CASES[case]
    database = make(tmp_path)
    (tmp_path / "plugins.toml").write_text(f'[bot]\ndatabase = "{database}"\n[plugins.publish]\nenabled = true\n')
    before = sorted(path.name for path in tmp_path.rglob("*"))

    assert_one_error_line(run(tmp_path, "serve", "--port", str(free_port())), cause)
    assert_one_error_line(run(tmp_path, "card", "put", "om_1", "-", stdin=json.dumps(seed_card())), cause)
    assert sorted(path.name for path in tmp_path.rglob("*")) == before  # nothing created beside it
