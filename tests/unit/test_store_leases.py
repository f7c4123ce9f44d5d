"""Card turns and liveness through the Store, on SQLite and PostgreSQL: one click holds a card at a time,
a process waiting in line goes next, a process silent past host_timeout is dead (its running clicks
interrupted, its cards freed), one taken for dead cannot commit; schema versions migrate and a newer one
is refused."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from cardbot.errors import ConfigError
from cardbot.store import CardChange, Store, TurnLost
from cardbot.store import clicks
from cardbot.store.schema import SCHEMA_VERSION, open_database

from backends import open_at

LEASE = 90.0
A, B = "proc-a/1", "proc-b/1"


def run(database, work):
    async def go():
        async with await open_at(database) as store:
            await store.put_card("om_1", '{"schema": "2.0", "body": {"elements": []}}')
            return await work(store)
    return asyncio.run(go())


async def take(store: Store, holder: str) -> bool:
    return await store.lease_card("om_1", holder, lease_seconds=LEASE, plugin="p") is not None


async def claim(store: Store, delivery: str, holder: str) -> clicks.Claim:
    return await store.claim_click(delivery, "om_1", holder, lease_holder=holder, lease_seconds=LEASE, plugin="p")


def change(delivery: str, holder: str, base: int) -> CardChange:
    return CardChange(delivery_id=delivery, message_id="om_1", holder=holder, base_version=base,
                      card_json='{"schema": "2.0", "body": {"elements": [{"tag": "hr"}]}}', plugin="p",
                      button_type="b", operator="ou_1", patch_json=None, toast_json=None, status=clicks.DONE,
                      detail=None, state_writes=(("p", "om_1", "k", "1"),), state_additions=(("p", "n", 2),))


def test_one_click_holds_a_card_at_a_time_and_one_waiting_in_line_goes_next(database):
    async def work(store):
        assert await take(store, A)
        assert not await take(store, B)  # B is now in line
        assert not await take(store, "proc-c/1")
        await store.release_lease("om_1", A)
        assert not await take(store, "proc-c/1")  # C must let B go first
        assert await take(store, B)
        await store.release_lease("om_1", B)
        return await take(store, A)  # B's place in line ended when it took its turn
    assert run(database, work)


def test_a_claim_takes_the_turn_and_reads_the_plugins_state_in_one_write(database):
    async def work(store):
        first = await claim(store, "d1", A)
        await store.commit_click(change("d1", A, first.card.version))
        second = await claim(store, "d2", B)
        repeat = await claim(store, "d1", B)
        return first, second, repeat
    first, second, repeat = run(database, work)
    assert first.leased and first.state == ()
    assert second.leased and sorted(second.state) == [("", "n", "2"), ("om_1", "k", "1")]
    assert repeat.earlier is not None and repeat.earlier.status == clicks.DONE and not repeat.leased


def test_counters_add_up_across_commits(database):
    async def work(store):
        for number in range(3):
            taken = await claim(store, f"d{number}", A)
            await store.commit_click(change(f"d{number}", A, taken.card.version))
        return await store.state("p", "om_1")
    assert ("", "n", "6") in run(database, work)


async def swept_by_b(store: Store) -> list[str]:
    """Process B's beat, with its sweep: the clicks it recorded interrupted."""
    _, interrupted = await store.beat("proc-b", 60)
    return interrupted


def test_a_silent_process_is_dead_its_clicks_interrupted_and_its_cards_freed(database):
    async def work(store):
        await store.beat("proc-a", 0.2)
        await store.beat("proc-b", 60)
        await claim(store, "d1", A)
        assert not await take(store, B)
        assert await swept_by_b(store) == []  # A is still alive
        await asyncio.sleep(0.3)
        interrupted = await swept_by_b(store)
        taken = await take(store, B)
        return interrupted, taken, await store.delivery("d1")
    interrupted, taken, delivery = run(database, work)
    assert interrupted == ["d1"] and taken and delivery.status == clicks.INTERRUPTED


def test_a_process_taken_for_dead_cannot_commit_and_learns_it_at_its_next_beat(database):
    async def work(store):
        await store.beat("proc-a", 0.1)
        taken = await claim(store, "d1", A)
        await asyncio.sleep(0.2)
        await swept_by_b(store)
        with pytest.raises(TurnLost):
            await store.commit_click(change("d1", A, taken.card.version))
        renewed, _ = await store.beat("proc-a", 60)
        return renewed, await store.card("om_1")
    renewed, card = run(database, work)
    assert renewed is False and card.version == 1  # nothing of the click was written


def test_a_stopping_process_records_its_running_clicks_interrupted(database):
    async def work(store):
        await store.beat("proc-a", 60)
        await claim(store, "d1", A)
        left = await store.leave("proc-a")
        return left, await take(store, B)
    assert run(database, work) == (["d1"], True)


def test_a_version_1_database_gains_the_waiting_line(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("CREATE TABLE card_leases (message_id TEXT PRIMARY KEY, holder TEXT, expires_at FLOAT)")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    db = open_database(tmp_path / "old.db")
    assert {"waiter", "waiter_until"} <= set(db["card_leases"].columns_dict)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_version_2_database_keeps_its_deliveries_and_gains_keep_forever_and_processes(tmp_path):
    conn = sqlite3.connect(tmp_path / "v2.db")
    conn.execute("CREATE TABLE deliveries (delivery_id TEXT PRIMARY KEY, message_id TEXT, status TEXT NOT NULL, "
                 "answer TEXT, toast TEXT, plugin TEXT, version INTEGER, holder TEXT, detail TEXT, "
                 "created_at FLOAT, finished_at FLOAT)")
    conn.execute("INSERT INTO deliveries (delivery_id, message_id, status, created_at) VALUES ('v2:e', 'om_1', 'done', 1)")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    db = open_database(tmp_path / "v2.db")
    assert "keep_forever" in db["deliveries"].columns_dict and "alive_until" in db["processes"].columns_dict
    assert db.execute("SELECT delivery_id, keep_forever FROM deliveries").fetchall() == [("v2:e", None)]
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    assert {"outbox", "timers", "roles"} <= set(db.table_names()) and "sent_at" in db["cards"].columns_dict


def test_a_database_from_a_newer_cardbot_is_refused_naming_it(database):
    if isinstance(database, Path):
        conn = sqlite3.connect(database)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        conn.close()
    else:
        asyncio.run(_set_postgres_version(database, SCHEMA_VERSION + 1))
    with pytest.raises(ConfigError, match=r"was written by a newer cardbot"):
        asyncio.run(_open_and_close(database))


def test_hosts_starting_together_migrate_a_new_postgresql_database_once(postgres_database):
    database = postgres_database

    async def start_together():
        stores = await asyncio.gather(*(open_at(database) for _ in range(6)))
        for store in stores:
            await store.close()
    asyncio.run(start_together())
    assert asyncio.run(_postgres_versions(database)) == [SCHEMA_VERSION]


async def _open_and_close(database):
    async with await open_at(database):
        pass


async def _set_postgres_version(url: str, version: int) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("CREATE TABLE cardbot_schema (version INTEGER NOT NULL)")
        await conn.execute("INSERT INTO cardbot_schema VALUES (%s)", (version,))


async def _postgres_versions(url: str) -> list[int]:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return [row[0] for row in await (await conn.execute("SELECT version FROM cardbot_schema")).fetchall()]
