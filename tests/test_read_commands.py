"""Read commands never write: `card show` and `plugins list` create no database, take no lock a writer
waits for, change no byte of the file, and work on a file nobody may write. (`prune` creates none either.)"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from support import BOT_COMMAND, SECRETS, TEST_PLUGINS, seed_card, small_file_system
from cardbot.testing.server import server_environment

CONFIG = '[bot]\ndatabase = "data/cards.db"\n[plugins.publish]\nenabled = true\n'


def run(directory: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BOT_COMMAND, *args, "--config", "plugins.toml"], cwd=directory, input=stdin,
                          capture_output=True, text=True, env=server_environment(SECRETS, (TEST_PLUGINS,)),
                          timeout=60)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A folder with plugins.toml and a database holding card om_1 (keep it unchanged: copy it)."""
    directory = tmp_path_factory.mktemp("stored")
    (directory / "plugins.toml").write_text(CONFIG)
    put = run(directory, "card", "put", "om_1", "-", stdin=json.dumps(seed_card()))
    assert put.returncode == 0, put.stderr
    return directory


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_show_without_a_database_says_so_and_creates_nothing(tmp_path):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    result = run(tmp_path, "card", "show", "om_1")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: no database at ") and "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plugins.toml"]  # no file, no folder


def test_plugins_list_creates_no_database(tmp_path):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    result = run(tmp_path, "plugins", "list")
    assert result.returncode == 0, result.stderr
    assert "publish" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plugins.toml"]


def test_prune_without_a_database_says_so_and_creates_nothing(tmp_path):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    result = run(tmp_path, "prune")
    assert result.returncode == 1 and result.stderr.startswith("error: no database at ")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["plugins.toml"]


def test_show_changes_no_byte_of_the_database(stored, tmp_path):
    shutil.copytree(stored, tmp_path / "copy")
    database = tmp_path / "copy" / "data" / "cards.db"
    before = fingerprint(database)
    result = run(tmp_path / "copy", "card", "show", "om_1", "--history")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == 1
    assert fingerprint(database) == before


def test_show_works_while_another_connection_holds_the_write_lock(stored, tmp_path):
    shutil.copytree(stored, tmp_path / "copy")
    locker = sqlite3.connect(tmp_path / "copy" / "data" / "cards.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another program writing (in WAL mode readers still read)
    locker.execute("UPDATE cards SET version = 99")  # not committed: show must not see it
    try:
        result = run(tmp_path / "copy", "card", "show", "om_1")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["version"] == 1


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder on a file system mounted read-only: not even root can write there."""
    with small_file_system(tmp_path / "ro", "4m", "no way to make a file read-only for root") as mount_point:
        yield mount_point


def test_show_works_on_a_read_only_file(stored, read_only_folder):
    shutil.copytree(stored, read_only_folder, dirs_exist_ok=True)
    database = read_only_folder / "data" / "cards.db"
    database.chmod(0o444)
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_folder)], check=True)
    before = fingerprint(database)
    result = run(read_only_folder, "card", "show", "om_1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["message_id"] == "om_1"
    assert fingerprint(database) == before
