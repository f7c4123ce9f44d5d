"""Choosing the database: `[bot] database` is a SQLite path or a PostgreSQL URL, CARDBOT_DATABASE overrides
it, a password never appears in a message, and a database from a newer cardbot is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cardbot.config import parse_config
from cardbot.store.schema import SCHEMA_VERSION
from support import BOT_COMMAND, assert_one_error_line


def database_of(table: dict, monkeypatch, override: str | None = None) -> Path | str:
    if override is None:
        monkeypatch.delenv("CARDBOT_DATABASE", raising=False)
    else:
        monkeypatch.setenv("CARDBOT_DATABASE", override)
    return parse_config({"bot": table}, Path("/etc/bot/plugins.toml")).bot.database


@pytest.mark.parametrize("url", ["postgresql://bot:secret@db.internal:5432/cardbot", "postgres://bot@db/cardbot",
                                 "postgresql://localhost/cardbot?sslmode=require"])
def test_a_postgresql_url_is_kept_as_it_is(monkeypatch, url):
    assert database_of({"database": url}, monkeypatch) == url


def test_a_sqlite_path_is_relative_to_the_config_file(monkeypatch):
    assert database_of({}, monkeypatch) == Path("/etc/bot/cardbot.db")
    assert database_of({"database": "data/cards.db"}, monkeypatch) == Path("/etc/bot/data/cards.db")


def test_cardbot_database_overrides_the_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    url = "postgresql://bot:secret@db/cardbot"
    assert database_of({"database": "cardbot.db"}, monkeypatch, url) == url
    assert database_of({"database": url}, monkeypatch, "local.db") == tmp_path / "local.db"  # from the working dir


def cli(tmp_path: Path, *args: str, database: str, stdin: str = "") -> subprocess.CompletedProcess:
    (tmp_path / "plugins.toml").write_text("[bot]\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "CARDBOT_DATABASE": database}
    return subprocess.run([*BOT_COMMAND, *args, "--config", str(tmp_path / "plugins.toml")], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60)


def test_an_unreachable_server_stops_serve_with_one_line_and_no_password(tmp_path):
    result = cli(tmp_path, "serve", database="postgresql://bot:hunter2@127.0.0.1:1/cardbot")
    assert_one_error_line(result, "cannot open the database postgresql://bot:***@127.0.0.1:1/cardbot")
    assert "hunter2" not in result.stdout + result.stderr


def test_a_read_command_on_an_empty_postgresql_database_says_so_and_creates_nothing(tmp_path, postgres_database):
    result = cli(tmp_path, "card", "show", "om_1", database=postgres_database)
    assert result.returncode == 1 and "no cardbot tables in" in result.stderr, result.stderr
    import psycopg

    with psycopg.connect(postgres_database) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def test_a_postgresql_database_of_a_newer_cardbot_is_refused(tmp_path, postgres_database):
    import psycopg

    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE cardbot_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO cardbot_schema VALUES (%s)", (SCHEMA_VERSION + 1,))
    result = cli(tmp_path, "card", "put", "om_1", "-", database=postgres_database,
                 stdin='{"schema": "2.0", "body": {"elements": []}}')
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "was written by a newer cardbot" in output and "Traceback" not in output

