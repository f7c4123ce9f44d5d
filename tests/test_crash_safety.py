"""kill -9 of every bot process during a stream of votes: nothing answered is lost, nothing needs repair."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time

import requests

from support import assert_undamaged, button_card, new_message_id, plugin_state, put_card, show_card
from test_vote import poll_card, texts

CONFIG = '[bot]\ndatabase = "cardbot.db"\nhost_timeout = 2\n[plugins.vote]\nenabled = true\n'  # a killed host frees its cards within ~2.4 s
STREAMS = 8


def crash_rounds(config) -> int:
    return 10 if config.getoption("--soak") else 2


class VoteStream:
    """Threads that each keep voting as new people until stopped; remembers how each vote was answered."""

    def __init__(self, server, kit, message_id):
        self.server, self.kit, self.message_id = server, kit, message_id
        self.answered: dict[str, str] = {}  # voter -> option, for votes answered with their result
        self.unanswered: set[str] = set()
        self._people = itertools.count()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(STREAMS)]

    def _run(self):
        session = requests.Session()
        while not self._stop.is_set():
            with self._lock:
                voter = f"ou_{self.message_id}_{next(self._people)}"
            option = "abc"[hash(voter) % 3]
            body, headers = self.kit.card_action_trigger(message_id=self.message_id, open_id=voter,
                                                         value={"button_type": "vote", "option": option})
            try:
                response = session.post(self.server.base_url + "/lark/callback", data=body, headers=headers,
                                        timeout=10)
                result = response.status_code == 200 and "card" in response.json()
            except requests.RequestException:
                result = False
            with self._lock:
                (self.answered.__setitem__(voter, option) if result else self.unanswered.add(voter))

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join()


def wait_until_no_click_runs(server, message_id: str, since: float, timeout: float = 20.0) -> float:
    """Seconds from `since` until no click on the card is recorded running (the killed processes' clicks are
    recorded interrupted by the next sweep after host_timeout)."""
    while any(click["status"] == "running" for click in show_card(server, message_id, history=True)["clicks"]):
        assert time.monotonic() - since < timeout, "clicks of the killed workers are still recorded running"
        time.sleep(0.2)
    return time.monotonic() - since


def test_kill_9_under_load_loses_no_answered_vote(server_factory, kit, request, figures):
    server = server_factory(CONFIG, workers=2)
    message_id = new_message_id()
    put_card(server, message_id, poll_card(("a", "b", "c")))
    answered: dict[str, str] = {}
    unanswered: set[str] = set()
    rounds = crash_rounds(request.config)
    recovery: list[float] = []

    for _ in range(rounds):
        with VoteStream(server, kit, message_id) as stream:
            deadline = time.monotonic() + 20
            while len(stream.answered) < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill()  # SIGKILL to the whole process group, mid-stream
            killed_at = time.monotonic()
        assert stream.answered, "no vote was answered before the kill"
        answered.update(stream.answered)
        unanswered |= stream.unanswered

        server.start()  # no manual repair
        assert_undamaged(server)
        state = plugin_state(server, "vote", message_id)
        lost = [voter for voter, option in answered.items() if state.get(f"voter:{voter}") != option]
        assert not lost
        shown = show_card(server, message_id, history=True)
        voters = {key.removeprefix("voter:"): value for key, value in state.items() if key.startswith("voter:")}
        counts = {option: sum(1 for chosen in voters.values() if chosen == option) for option in "abc"}
        assert {o: n for o, n in state["counts"].items() if n} == {o: n for o, n in counts.items() if n}
        assert texts(shown["card"]) == [f"{option.upper()} ({counts[option]})" for option in "abc"]
        assert shown["version"] == 1 + len(voters)  # exactly one version per committed vote
        assert {entry["operator"] for entry in shown["history"][1:]} == set(voters)
        recovered_in = wait_until_no_click_runs(server, message_id, killed_at)
        recovery.append(recovered_in)
        shown = show_card(server, message_id, history=True)

    figures["crash"] = {"workers": 2, "rounds": rounds, "client_threads": STREAMS,
                        "votes_answered": len(answered), "votes_without_answer": len(unanswered),
                        "votes_committed": len(voters), "interrupted_recorded":
                            sum(1 for click in shown["clicks"] if click["status"] == "interrupted"),
                        "answered_votes_lost": len(lost),
                        "worst_seconds_to_interrupted": round(max(recovery), 1)}
    body, headers = kit.card_action_trigger(message_id=message_id, open_id="ou_after_the_crashes",
                                            value={"button_type": "vote", "option": "a"})
    assert server.post("/lark/callback", body, headers).json()["toast"]["content"] == "Vote counted"


def test_a_host_taken_for_dead_while_frozen_stores_nothing_of_its_click_and_goes_on(server_factory, kit, tmp_path):
    """Host A freezes (SIGSTOP) mid-click for longer than host_timeout: host B, on the same database, records
    the click interrupted. When A thaws its plugin finishes, but the commit finds the delivery no longer A's:
    nothing of it is stored and the clicker never hears a result that was then lost. A serves on."""
    config = (f'[bot]\ndatabase = "{tmp_path / "shared.db"}"\nhost_timeout = 1\n'  # on PostgreSQL: one database too
              '[plugins.counter]\nenabled = true\nmodule = "cardbot_testplugins.counter"\n')
    host_a, host_b = server_factory(config), server_factory(config)
    message_id = new_message_id()
    put_card(host_a, message_id, button_card("count", seconds=1))
    body, headers = kit.card_action_trigger(message_id=message_id,
                                            value={"button_type": "count", "button_id": "b1", "seconds": 1})
    answers: list[requests.Response] = []
    clicker = threading.Thread(target=lambda: answers.append(host_a.post("/lark/callback", body, headers, timeout=30)))
    clicker.start()
    deadline = time.monotonic() + 10
    while not show_card(host_b, message_id, history=True)["clicks"]:  # A has claimed it and runs the plugin
        assert time.monotonic() < deadline, "the click never reached host A's plugin"
        time.sleep(0.05)
    os.kill(host_a.process.pid, signal.SIGSTOP)
    try:
        while show_card(host_b, message_id, history=True)["clicks"][0]["status"] == "running":
            assert time.monotonic() < deadline + 10, "host B never took frozen host A for dead"
            time.sleep(0.1)
    finally:
        os.kill(host_a.process.pid, signal.SIGCONT)
    clicker.join(30)

    toast = answers[0].json()["toast"]
    assert answers[0].status_code == 200 and toast["content"] != "count 1", toast  # "busy" (or "processing")
    shown = show_card(host_b, message_id, history=True)
    assert shown["version"] == 1 and shown["clicks"][0]["status"] == "interrupted"
    wait_for_log = time.monotonic() + 10
    while "this process was taken for dead" not in host_a.log():
        assert time.monotonic() < wait_for_log, host_a.log()
        time.sleep(0.1)
    again, again_headers = kit.card_action_trigger(message_id=message_id,
                                                   value={"button_type": "count", "button_id": "b1", "seconds": 1})
    assert host_a.post("/lark/callback", again, again_headers).json()["toast"]["content"] == "count 1"
    assert show_card(host_b, message_id)["version"] == 2
