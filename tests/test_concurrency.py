"""Many clicks at once, across worker processes: no lost update, each business step exactly once."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from support import new_message_id, plugin_state, put_card, serving_processes, show_card, start_server
from test_vote import poll_card, texts


@pytest.fixture
def voters(request) -> int:
    """People voting at once: 60, or 600 with --soak."""
    return 600 if request.config.getoption("--soak") else 60


@pytest.fixture
def copies(request) -> int:
    """Copies of one delivery sent at once: 30, or 200 with --soak."""
    return 200 if request.config.getoption("--soak") else 30


@pytest.fixture(scope="module")
def workers_bot(tmp_path_factory, module_database):
    config = ('[bot]\ndatabase = "cardbot.db"\nlog_level = "DEBUG"\n[plugins.vote]\nenabled = true\n'
              '[plugins.counter]\nenabled = true\nmodule = "cardbot_testplugins.counter"\n')
    server = start_server(tmp_path_factory.mktemp("workers"), config, workers=2, database=module_database)
    yield server
    server.stop()


def post_all(server, requests_to_send):
    """POST every (body, headers) at once, each on its own connection; returns the responses in order."""
    def post(request):
        body, headers = request
        return requests.post(server.base_url + "/lark/callback", data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(len(requests_to_send)) as pool:
        return list(pool.map(post, requests_to_send))


def repeats_seen_running(server, delivery_id: str) -> list[str]:
    """The worker pid of each repeat of `delivery_id` that arrived while its first copy was running."""
    return re.findall(rf"\[(\d+)\] cardbot\.clicks: delivery {re.escape(delivery_id)} is a repeat; "
                      r"its first copy is running", server.log())


def test_sixty_people_voting_at_once_leave_exact_counts_and_one_version_each(workers_bot, kit, figures, voters):
    message_id = new_message_id()
    put_card(workers_bot, message_id, poll_card(("a", "b", "c")))
    votes = {f"ou_voter{n:03d}": "abc"[n % 3] for n in range(voters)}

    responses = post_all(workers_bot, [
        kit.card_action_trigger(message_id=message_id, open_id=person, value={"button_type": "vote", "option": option})
        for person, option in votes.items()
    ])

    assert [response.status_code for response in responses] == [200] * voters
    shown = show_card(workers_bot, message_id, history=True)
    third = voters // 3
    assert texts(shown["card"]) == [f"A ({third})", f"B ({third})", f"C ({third})"]
    assert shown["version"] == voters + 1
    assert [entry["version"] for entry in shown["history"]] == list(range(1, voters + 2))
    assert sorted(entry["operator"] for entry in shown["history"][1:]) == sorted(votes)
    assert plugin_state(workers_bot, "vote", message_id)["counts"] == {"a": third, "b": third, "c": third}
    pids = serving_processes(workers_bot, message_id)
    assert len(pids) == 2  # both worker processes took votes
    figures["concurrent voters"] = {"workers": 2, "voters_at_once": voters,
                                    "answers_200": sum(r.status_code == 200 for r in responses),
                                    "new_versions": shown["version"] - 1, "workers_that_served": len(pids),
                                    "final_counts": texts(shown["card"])}


def test_thirty_copies_of_one_delivery_make_one_change_and_thirty_200s(workers_bot, kit, figures, copies):
    message_id = new_message_id()
    slow_count = {"button_type": "count", "button_id": "b1", "seconds": 0.5}  # the copies arrive while it runs
    put_card(workers_bot, message_id, {"config": {"update_multi": True}, "elements": [{"tag": "action", "actions": [
        {"tag": "button", "text": {"tag": "plain_text", "content": "+1"}, "value": slow_count}]}]})
    event_id = uuid.uuid4().hex
    delivery = kit.card_action_trigger(message_id=message_id, value=slow_count, event_id=event_id)

    responses = post_all(workers_bot, [delivery] * copies)

    assert [response.status_code for response in responses] == [200] * copies
    toasts = {response.json()["toast"]["content"] for response in responses}
    assert toasts == {"count 1"}
    cards = [response.json()["card"]["data"] for response in responses]
    assert all(card == cards[0] for card in cards)
    assert show_card(workers_bot, message_id)["version"] == 2
    assert plugin_state(workers_bot, "counter", message_id)["count"] == 1
    waited = repeats_seen_running(workers_bot, f"v2:{event_id}")
    assert len(waited) == copies - 1 and len(set(waited)) == 2  # every other copy waited, on both workers
    figures["duplicate deliveries"] = {"workers": 2, "copies_at_once": copies,
                                       "answers_200": sum(r.status_code == 200 for r in responses),
                                       "copies_that_waited_for_the_first": len(waited),
                                       "workers_that_served": len(set(waited)),
                                       "plugin_runs": plugin_state(workers_bot, "counter", message_id)["count"],
                                       "new_versions": show_card(workers_bot, message_id)["version"] - 1}
