"""Two bot hosts on one PostgreSQL database: votes and repeated deliveries split across them, a host killed
with `kill -9` mid-click, every database connection killed mid-stream.

Host B runs in its own PID and UTS namespaces with another host name (its server is pid 1 there), as in
a container: nothing may rely on process ids or host names. Each test gets a fresh database.
"""

from __future__ import annotations

import itertools
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Iterator, NamedTuple
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from backends import postgres_server_url
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
def database(postgres_database: str) -> str:
    """A fresh, empty PostgreSQL database on the test server (conftest.py), dropped afterwards."""
    return postgres_database


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
        try:
            self.a.start()  # creates the schema
            self.b.start()
            self._check_host_b()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _check_host_b(self) -> None:
        """Host B's server is pid 1 in its own PID namespace, and its host name is "hostb"."""
        server = self.b.server_pid()
        assert server is not None
        status = Path(f"/proc/{server}/status").read_text()
        assert next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[-1] == "1"
        assert subprocess.run(["nsenter", "--target", str(server), "--uts", "hostname"], capture_output=True,
                              text=True, check=True).stdout.strip() == "hostb"

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
    # every copy gets the first copy's answer within the deadline (not "processing": that means a copy held
    # up the first one, e.g. waiting for it while holding the card's turn in its process)
    assert {toast(response) for response in responses} == {"count 1"}, show_card(hosts.a, message_id, history=True)
    cards = [response.json()["card"]["data"] for response in responses]
    assert all(card == cards[0] for card in cards)
    assert show_card(hosts.b, message_id)["version"] == 2
    runs = plugin_state(hosts.a, "counter", message_id)["count"]
    assert runs == 1
    waited = [len(repeats_seen_running(host, f"v2:{event_id}")) for host in hosts.both()]
    assert sum(waited) == 29 and all(waited)  # every other copy waited for the first, on both hosts
    figures["multi-host duplicate deliveries"] = {"hosts": 2, "copies_at_once": 30, "answers_200": len(responses),
                                                  "copies_that_waited_for_the_first": sum(waited),
                                                  "plugin_runs": runs, "new_versions": 1}


def wait_for(predicate, timeout: float, what: str, interval: float = 0.1) -> float:
    """Poll `predicate` until it returns true; the seconds that took (fail after `timeout`)."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        time.sleep(interval)
    return time.monotonic() - started


def button(value: dict[str, Any]) -> dict[str, Any]:
    return {"tag": "button", "text": {"tag": "plain_text", "content": value["button_type"]}, "value": value}


def test_a_host_killed_mid_click_costs_only_that_click(hosts, kit, figures):
    message_id = new_message_id()
    sleeper = {"button_type": "sync_sleep", "button_id": "sleep", "seconds": 30}
    counter = {"button_type": "count", "button_id": "count"}
    put_card(hosts.a, message_id, {"config": {"update_multi": True}, "elements": [
        {"tag": "action", "actions": [button(sleeper), button(counter)]}]})
    runs = hosts.markers / "sync_sleep.log"  # the sleeper's business step: a "start" line per run, on either host
    event_id = uuid.uuid4().hex

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(post, hosts.b, kit.card_action_trigger(message_id=message_id, open_id="ou_sleeper",
                                                                     value=sleeper, event_id=event_id))
        wait_for(lambda: runs.exists() and "start ou_sleeper" in runs.read_text(), 20, "the click runs on host B")
        hosts.b.kill()  # kill -9 of every process of host B while its plugin sleeps
        killed_at = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            pending.result()

    def interrupted() -> bool:
        clicks = show_card(hosts.a, message_id, history=True)["clicks"]
        assert [click["delivery_id"] for click in clicks] == [f"v2:{event_id}"]
        return clicks[0]["status"] == "interrupted"

    wait_for(interrupted, 10, "host B's click is recorded interrupted")
    to_interrupted = time.monotonic() - killed_at
    # the card is free again: a click on its other button (the sleeper would take 30 s) runs on host A
    answer = post(hosts.a, kit.card_action_trigger(message_id=message_id, open_id="ou_next", value=counter))
    to_next_click = time.monotonic() - killed_at

    assert answer.status_code == 200 and toast(answer) == "count 1"
    shown = show_card(hosts.a, message_id, history=True)
    assert shown["version"] == 2 and [entry["operator"] for entry in shown["history"][1:]] == ["ou_next"]
    assert [click["status"] for click in shown["clicks"]] == ["interrupted", "done"]
    time.sleep(1)
    assert [line.split()[:2] for line in runs.read_text().splitlines()] == [["start", "ou_sleeper"]]  # never re-run
    figures["multi-host kill -9"] = {"host_timeout": 3, "seconds_to_interrupted": round(to_interrupted, 1),
                                     "seconds_to_next_click": round(to_next_click, 1)}


class Answer(NamedTuple):
    voter: str
    option: str
    host: int  # 0: host A, 1: host B
    kind: str  # "counted" (the vote toast), "busy", else the toast or the error
    at: float  # time.monotonic() when it came


class SplitVoteStream:
    """Threads that keep voting as new people, each vote to the next host in turn, until stopped; keeps
    every answer."""

    THREADS = 8

    def __init__(self, hosts: Hosts, kit, message_id: str) -> None:
        self.hosts, self.kit, self.message_id = hosts, kit, message_id
        self.answers: list[Answer] = []
        self._people = itertools.count()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.THREADS)]

    def _run(self) -> None:
        sessions = [requests.Session() for _ in self.hosts.both()]
        while not self._stop.is_set():
            with self._lock:
                number = next(self._people)
            voter, option, host = f"ou_{self.message_id}_{number}", "abc"[number % 3], number % 2
            body, headers = vote(self.kit, self.message_id, voter, option)
            try:
                response = sessions[host].post(self.hosts.both()[host].base_url + "/lark/callback", data=body,
                                               headers=headers, timeout=10)
                kind = (f"HTTP {response.status_code}" if response.status_code != 200
                        else {VOTED: "counted", BUSY: "busy"}.get(toast(response), toast(response)))
            except (requests.RequestException, ValueError, KeyError) as error:
                kind = f"{type(error).__name__}: {error}"
            with self._lock:
                self.answers.append(Answer(voter, option, host, kind, time.monotonic()))
        for session in sessions:
            session.close()

    def of_kind(self, kind: str) -> list[Answer]:
        with self._lock:
            return [answer for answer in self.answers if answer.kind == kind]

    def __enter__(self) -> SplitVoteStream:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def terminate_connections(database: str) -> int:
    """End every connection to `database` (pg_terminate_backend), as a database restart or failover would;
    returns how many there were."""
    with psycopg.connect(postgres_server_url(), autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                             "AND pid <> pg_backend_pid()", (urlsplit(database).path.lstrip("/"),)).fetchall()
    return len(rows)


def test_every_connection_killed_twice_mid_stream_loses_no_answered_vote(hosts, database, kit, figures):
    message_id = new_message_id()
    put_card(hosts.a, message_id, poll_card(("a", "b", "c")))
    terminated = []

    with SplitVoteStream(hosts, kit, message_id) as stream:
        wait_for(lambda: len(stream.of_kind("counted")) >= 40, 20, "votes are counted")
        for _ in range(2):
            terminated.append(terminate_connections(database))  # both hosts' pools, listeners and presence
            last_terminated = time.monotonic()
            time.sleep(1.5)

    def counts_votes(host: BotServer) -> bool:
        response = post(host, vote(kit, message_id, f"ou_after_{uuid.uuid4().hex[:8]}", "a"), timeout=10)
        return response.status_code == 200 and toast(response) == VOTED

    counted = stream.of_kind("counted")
    recovery = []  # seconds from the last termination to each host's first vote counted after it
    for index, host in enumerate(hosts.both()):
        wait_for(partial(counts_votes, host), 10, f"{host.base_url} counts votes after the stream", 0.2)
        after = [answer.at for answer in counted if answer.host == index and answer.at > last_terminated]
        recovery.append(min(after, default=time.monotonic()) - last_terminated)
    assert [host.session.get(host.base_url + "/healthz", timeout=5).status_code for host in hosts.both()] == [200, 200]
    kinds = Counter(answer.kind for answer in stream.answers)
    assert set(kinds) <= {"counted", "busy"}, kinds
    state = plugin_state(hosts.a, "vote", message_id)
    voters = {key.removeprefix("voter:"): option for key, option in state.items() if key.startswith("voter:")}
    lost = [answer.voter for answer in counted if voters.get(answer.voter) != answer.option]
    assert not lost
    counts = {option: sum(1 for chosen in voters.values() if chosen == option) for option in "abc"}
    assert state["counts"] == counts
    shown = show_card(hosts.b, message_id, history=True)
    assert texts(shown["card"]) == [f"{option.upper()} ({counts[option]})" for option in "abc"]
    assert shown["version"] == 1 + len(voters)  # one version per committed vote
    assert {entry["operator"] for entry in shown["history"][1:]} == set(voters)
    figures["multi-host connections killed"] = {
        "hosts": 2, "terminations": len(terminated), "connections_terminated": sum(terminated),
        "votes_answered_counted": len(counted), "busy_answers": kinds["busy"],
        "busy_votes_committed_anyway": sum(1 for answer in stream.of_kind("busy") if answer.voter in voters),
        "answered_votes_lost": len(lost), "seconds_to_counting_again": round(max(recovery), 2)}


def test_a_host_cut_off_from_the_database_answers_busy_says_unreachable_and_recovers(hosts, database, kit):
    """The database refuses every connection (as during an outage): clicks get the "busy" toast and store
    nothing, /healthz answers 503 "unreachable" so a load balancer takes the host out; once the database
    accepts connections again the host serves by itself."""
    message_id = new_message_id()
    put_card(hosts.a, message_id, poll_card(("a", "b", "c")))
    name = urlsplit(database).path.lstrip("/")
    with psycopg.connect(postgres_server_url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        try:
            terminate_connections(database)
            answer = post(hosts.a, vote(kit, message_id, "ou_during_the_outage", "a"))
            health = hosts.a.session.get(hosts.a.base_url + "/healthz", timeout=10)
        finally:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    assert (answer.status_code, toast(answer)) == (200, BUSY)
    assert (health.status_code, health.json()["database"], health.json()["status"]) == (503, "unreachable",
                                                                                      "unavailable")
    wait_for(lambda: hosts.a.session.get(hosts.a.base_url + "/healthz", timeout=10).status_code == 200, 15,
             "/healthz to answer 200 again")
    assert toast(post(hosts.a, vote(kit, message_id, "ou_after_the_outage", "a"))) == VOTED
    shown = show_card(hosts.b, message_id, history=True)
    assert shown["version"] == 2 and [entry["operator"] for entry in shown["history"][1:]] == ["ou_after_the_outage"]
