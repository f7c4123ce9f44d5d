"""Two bot hosts on one PostgreSQL database: votes and repeated deliveries split across them, a host killed
with `kill -9` mid-click, every database connection killed mid-stream.

Host B runs in its own PID and UTS namespaces with another host name (its server is pid 1 there), as in
a container: nothing may rely on process ids or host names. Each test gets a fresh database.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from backends import fresh_database, postgres_unavailable_reason
from cardbot.testing import BotServer
from support import (BOT_COMMAND, SECRETS, TEST_PLUGINS, new_message_id, plugin_state, put_card, serving_processes,
                     show_card)
from test_concurrency import repeats_seen_running
from test_vote import poll_card, texts

HOST_B = ["unshare", "--pid", "--uts", "--fork", "--mount-proc", "sh", "-c", 'hostname hostb && exec "$@"', "sh"]
"""Host B's wrapper: new PID and UTS namespaces, host name `hostb`, then the serve command (as pid 1)."""
CONFIG = """
[bot]
log_level = "DEBUG"
host_timeout = 3

[plugins.vote]
enabled = true

[plugins.counter]
enabled = true
module = "cardbot_testplugins.counter"

[plugins.sync_sleep]
enabled = true
module = "cardbot_testplugins.sync_sleep"
"""
VOTED = "Vote counted"
BUSY = "The bot is busy; please click again."


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the test server (tests/backends.py), dropped afterwards."""
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with fresh_database() as url:
        yield url


class Hosts:
    """Host A (this machine's namespaces) and host B (its own PID and UTS namespaces) on one database."""

    def __init__(self, directory: Path, database: str, config: str) -> None:
        markers = directory / "markers"  # shared: the test plugins' records of every run, on either host
        markers.mkdir(parents=True)
        env = {**SECRETS, "CARDBOT_DATABASE": database, "CARDBOT_TEST_MARKER_DIR": str(markers)}
        self.markers = markers
        self.a, self.b = (BotServer(directory / name, plugins_toml=config, env=env, command=BOT_COMMAND,
                                    extra_pythonpath=(TEST_PLUGINS,), command_prefix=prefix)
                          for name, prefix in (("a", ()), ("b", HOST_B)))

    def __enter__(self) -> Hosts:
        self.a.start()  # creates the schema
        self.b.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for host in (self.a, self.b):
            host.stop()
            host.session.close()

    def both(self) -> tuple[BotServer, BotServer]:
        return self.a, self.b


@pytest.fixture
def hosts(tmp_path: Path, database: str) -> Iterator[Hosts]:
    with Hosts(tmp_path, database, CONFIG) as pair:
        yield pair


def post(host: BotServer, request: tuple[bytes, dict[str, str]], timeout: float = 30) -> requests.Response:
    """POST one callback on its own connection."""
    body, headers = request
    return requests.post(host.base_url + "/lark/callback", data=body, headers=headers, timeout=timeout)


def post_split(hosts: Hosts, callbacks: list[tuple[bytes, dict[str, str]]]) -> list[requests.Response]:
    """POST every callback at once, alternately to host A and host B; the responses in order."""
    targets = itertools.cycle(hosts.both())
    jobs = [(next(targets), callback) for callback in callbacks]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: post(*job), jobs))


def vote(kit, message_id: str, voter: str, option: str) -> tuple[bytes, dict[str, str]]:
    return kit.card_action_trigger(message_id=message_id, open_id=voter, value={"button_type": "vote", "option": option})


def toast(response: requests.Response) -> str:
    return response.json()["toast"]["content"]


def test_ninety_voters_split_across_two_hosts_leave_exact_counts(hosts, kit, figures):
    message_id = new_message_id()
    put_card(hosts.a, message_id, poll_card(("a", "b", "c")))
    votes = {f"ou_voter{n:03d}": "abc"[n % 3] for n in range(90)}

    responses = post_split(hosts, [vote(kit, message_id, person, option) for person, option in votes.items()])

    assert [response.status_code for response in responses] == [200] * 90
    assert {toast(response) for response in responses} == {VOTED}
    shown = show_card(hosts.b, message_id, history=True)
    assert texts(shown["card"]) == ["A (30)", "B (30)", "C (30)"]
    assert shown["version"] == 91
    assert [entry["version"] for entry in shown["history"]] == list(range(1, 92))
    assert sorted(entry["operator"] for entry in shown["history"][1:]) == sorted(votes)
    assert plugin_state(hosts.a, "vote", message_id)["counts"] == {"a": 30, "b": 30, "c": 30}
    assert len(serving_processes(hosts.a, message_id)) == 2  # both hosts took votes
    figures["multi-host voters"] = {"hosts": 2, "voters_at_once": 90, "answers_200": len(responses),
                                    "new_versions": shown["version"] - 1, "final_counts": texts(shown["card"])}


def test_thirty_copies_of_one_delivery_on_two_hosts_run_the_plugin_once(hosts, kit, figures):
    message_id = new_message_id()
    slow_count = {"button_type": "count", "button_id": "b1", "seconds": 0.5}  # the copies arrive while it runs
    put_card(hosts.a, message_id, {"config": {"update_multi": True}, "elements": [{"tag": "action", "actions": [
        {"tag": "button", "text": {"tag": "plain_text", "content": "+1"}, "value": slow_count}]}]})
    event_id = uuid.uuid4().hex
    delivery = kit.card_action_trigger(message_id=message_id, value=slow_count, event_id=event_id)

    responses = post_split(hosts, [delivery] * 30)

    assert [response.status_code for response in responses] == [200] * 30
    assert {toast(response) for response in responses} == {"count 1"}
    cards = [response.json()["card"]["data"] for response in responses]
    assert all(card == cards[0] for card in cards)
    assert show_card(hosts.b, message_id)["version"] == 2
    assert plugin_state(hosts.a, "counter", message_id)["count"] == 1
    waited = [len(repeats_seen_running(host, f"v2:{event_id}")) for host in hosts.both()]
    assert sum(waited) == 29 and all(waited)  # every other copy waited for the first, on both hosts
    figures["multi-host duplicate deliveries"] = {"hosts": 2, "copies_at_once": 30, "answers_200": len(responses),
                                                  "plugin_runs": 1, "new_versions": 1}
