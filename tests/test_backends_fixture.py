"""The machinery that runs tests on both backends (tests/backends.py, conftest.py): a fresh PostgreSQL database
per test, shared by its servers and dropped afterwards; URLs that keep their credentials; skip and failure
reasons that say how to run the PostgreSQL tests and never show a password."""

from __future__ import annotations

import re

import pytest

import backends
from backends import database_url as url_naming, fresh_database, postgres_unavailable_reason
from cardbot.testing.server import server_environment
from support import STANDARD_CONFIG

def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(backends.postgres_server_url()) as conn:  # type: ignore[arg-type]
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def name_of(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?")[0]


@pytest.fixture
def uncached():
    """postgres_unavailable_reason checks each server once per session: forget the answers around a test."""
    backends._connect_error.cache_clear()
    yield
    backends._connect_error.cache_clear()


def test_unset_the_postgresql_tests_skip_saying_how_to_run_them(monkeypatch, uncached):
    monkeypatch.delenv("CARDBOT_TEST_POSTGRES", raising=False)
    reason = postgres_unavailable_reason()
    assert reason is not None and reason.startswith("PostgreSQL tests skipped: set CARDBOT_TEST_POSTGRES=postgresql://")
    assert "\n" not in reason


def test_set_to_a_server_that_does_not_answer_they_fail_naming_it_without_its_password(monkeypatch, uncached):
    monkeypatch.setenv("CARDBOT_TEST_POSTGRES", "postgresql://bot:hunter2@127.0.0.1:1/postgres")
    with pytest.raises(pytest.fail.Exception) as failure:
        postgres_unavailable_reason()
    message = str(failure.value)
    assert "postgresql://bot:***@127.0.0.1:1/postgres does not answer" in message
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.parametrize("server, expected", [
    ("postgresql://bot:s%40cret@db.internal:6543/postgres?sslmode=require&application_name=t",
     "postgresql://bot:s%40cret@db.internal:6543/cardbot_t_0123456789ab?sslmode=require&application_name=t"),
    ("postgresql://root@127.0.0.1:5432", "postgresql://root@127.0.0.1:5432/cardbot_t_0123456789ab"),
], ids=["credentials-and-options", "no-database-named"])
def test_a_test_database_url_keeps_user_password_host_port_and_options(server, expected):
    assert url_naming(server, "cardbot_t_0123456789ab") == expected


def test_a_fresh_database_exists_inside_and_is_dropped_after(uncached):
    if reason := postgres_unavailable_reason():
        pytest.skip(reason)
    server = backends.postgres_server_url()
    assert server is not None
    with fresh_database() as url:
        name = name_of(url)
        assert re.fullmatch(r"cardbot_t_[0-9a-f]{12}", name)
        assert url == url_naming(server, name)
        assert database_exists(name)
    assert not database_exists(name)


@pytest.mark.both_backends
def test_the_servers_of_one_test_share_its_database(server_factory, database_url, backend):
    first, second = server_factory(STANDARD_CONFIG), server_factory(STANDARD_CONFIG)
    assert first.env.get("CARDBOT_DATABASE") == second.env.get("CARDBOT_DATABASE") == database_url
    if backend == "sqlite":
        assert database_url is None and (first.directory / "cardbot.db").exists()
        return
    assert database_url is not None and not (first.directory / "cardbot.db").exists()
    assert database_exists(name_of(database_url))


@pytest.mark.both_backends
def test_the_database_of_a_test_is_dropped_after_it(backend):
    with backends.database_for(backend) as url:  # what the database_url and module_database fixtures use
        if backend == "sqlite":
            assert url is None
            return
        assert url is not None and database_exists(name_of(url))
    assert not database_exists(name_of(url))


def test_a_test_server_never_inherits_cardbot_database(monkeypatch):
    monkeypatch.setenv("CARDBOT_DATABASE", "postgresql://dev@localhost/mine")
    assert "CARDBOT_DATABASE" not in server_environment({})
    assert server_environment({"CARDBOT_DATABASE": "x.db"})["CARDBOT_DATABASE"] == "x.db"
