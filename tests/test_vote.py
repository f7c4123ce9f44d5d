"""The bundled vote plugin: one vote per person per card, counts on the buttons, voters in state."""

from __future__ import annotations

import json

import pytest

from support import new_message_id, plugin_state, put_card, put_state, show_card, start_server


def poll_card(options=("yes", "no"), *, labels=None):
    """A JSON 1.0 shared card with one vote button per option."""
    labels = labels or {option: option.title() for option in options}
    return {"config": {"update_multi": True}, "elements": [
        {"tag": "div", "text": {"tag": "plain_text", "content": "Ship it?"}},
        {"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": labels[option]},
             "value": {"button_type": "vote", "option": option}} for option in options]},
    ]}


def texts(card):
    """Button texts of every vote button, in card order."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            value = node.get("value") or next((b.get("value") for b in node.get("behaviors", [])), None)
            if isinstance(value, dict) and value.get("button_type") == "vote":
                found.append(node["text"]["content"])
                return
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(card)
    return found


@pytest.fixture(scope="module")
def vote_bot(tmp_path_factory, module_database):
    config = '[bot]\ndatabase = "cardbot.db"\n[plugins.vote]\nenabled = true\nshow_voters = true\nmax_voters_shown = 2\n'
    server = start_server(tmp_path_factory.mktemp("vote"), config, database=module_database)
    yield server
    server.stop()


def vote(server, kit, message_id, option, person):
    body, headers = kit.card_action_trigger(message_id=message_id, open_id=person,
                                            value={"button_type": "vote", "option": option})
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 200
    return response.json()


def test_votes_count_move_and_never_double(vote_bot, kit):
    message_id = new_message_id()
    put_card(vote_bot, message_id, poll_card())

    assert texts(vote(vote_bot, kit, message_id, "yes", "ou_a")["card"]["data"]) == ["Yes (1)", "No (0)"]
    assert texts(vote(vote_bot, kit, message_id, "yes", "ou_b")["card"]["data"]) == ["Yes (2)", "No (0)"]
    moved = vote(vote_bot, kit, message_id, "no", "ou_a")
    assert texts(moved["card"]["data"]) == ["Yes (1)", "No (1)"]
    again = vote(vote_bot, kit, message_id, "no", "ou_a")
    assert set(again) == {"toast"} and again["toast"]["content"] == "You already voted for this option"

    shown = show_card(vote_bot, message_id, history=True)
    assert shown["version"] == 4  # put + three votes that changed something
    assert texts(shown["card"]) == ["Yes (1)", "No (1)"]
    state = plugin_state(vote_bot, "vote", message_id)
    assert state["counts"] == {"yes": 1, "no": 1}
    assert (state["voter:ou_a"], state["voter:ou_b"]) == ("no", "yes")


def test_voters_are_listed_under_the_buttons_with_a_limit(vote_bot, kit):
    message_id = new_message_id()
    put_card(vote_bot, message_id, poll_card())
    for person in ("ou_1", "ou_2", "ou_3"):
        answer = vote(vote_bot, kit, message_id, "yes", person)
    voters = answer["card"]["data"]["elements"][-1]
    assert voters["element_id"] == "vote_voters"
    assert voters["content"] == "**yes**: <at id=ou_1></at> <at id=ou_2></at> and 1 more\n**no**: -"
    assert len([e for e in answer["card"]["data"]["elements"] if e.get("element_id") == "vote_voters"]) == 1


def test_labels_that_end_in_parentheses_survive(vote_bot, kit):
    message_id = new_message_id()
    put_card(vote_bot, message_id, poll_card(("a", "b"), labels={"a": "Plan (2020)", "b": "Plan (2021)"}))
    vote(vote_bot, kit, message_id, "a", "ou_1")
    answer = vote(vote_bot, kit, message_id, "b", "ou_2")
    assert texts(answer["card"]["data"]) == ["Plan (2020) (1)", "Plan (2021) (1)"]


def test_a_json_2_card_with_buttons_in_columns(vote_bot, kit):
    message_id = new_message_id()
    button = lambda option: {"tag": "button", "element_id": f"vote_{option}",  # noqa: E731
                             "text": {"tag": "plain_text", "content": option.upper()},
                             "behaviors": [{"type": "callback", "value": {"button_type": "vote", "option": option}}]}
    card = {"schema": "2.0", "body": {"elements": [{"tag": "column_set", "columns": [
        {"tag": "column", "elements": [button("x")]}, {"tag": "column", "elements": [button("y")]}]}]}}
    put_card(vote_bot, message_id, card)
    answer = vote(vote_bot, kit, message_id, "y", "ou_1")
    assert texts(answer["card"]["data"]) == ["X (0)", "Y (1)"]
    assert answer["card"]["data"]["schema"] == "2.0"


def test_every_locale_shows_the_counts(vote_bot, kit):
    message_id = new_message_id()
    zh = poll_card(labels={"yes": "是", "no": "否"})["elements"]
    en = poll_card()["elements"]
    put_card(vote_bot, message_id, {"config": {"update_multi": True}, "i18n_elements": {"zh_cn": zh, "en_us": en}})
    answer = vote(vote_bot, kit, message_id, "no", "ou_1")
    assert texts(answer["card"]["data"]) == ["是 (0)", "否 (1)", "Yes (0)", "No (1)"]


def test_a_two_thousand_person_poll_keeps_its_voters_out_of_the_card(vote_bot, kit):
    message_id = new_message_id()
    put_card(vote_bot, message_id, poll_card())
    earlier = {f"ou_{n:04d}": "yes" if n % 2 else "no" for n in range(1999)}  # already voted, in plugin state
    put_state(vote_bot, "vote", message_id, {**{f"voter:{person}": option for person, option in earlier.items()},
                                             "counts": {"yes": 999, "no": 1000}})
    answer = vote(vote_bot, kit, message_id, "yes", "ou_2000")
    card = answer["card"]["data"]
    assert texts(card) == ["Yes (1000)", "No (1000)"]
    assert len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode()) < 2048  # Lark allows 30 KB
    assert "and 998 more" in card["elements"][-1]["content"]  # 2 of 1,000 "yes" voters named
    assert plugin_state(vote_bot, "vote", message_id)["voter:ou_2000"] == "yes"


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
def test_two_people_known_only_by_their_union_ids_are_two_voters(vote_bot, kit, legacy):
    message_id = new_message_id()
    put_card(vote_bot, message_id, poll_card())
    build = kit.legacy_card_action if legacy else kit.card_action_trigger
    for union_id in ("on_first", "on_second"):
        body, headers = build(message_id=message_id, open_id=None, user_id=None, union_id=union_id,
                              value={"button_type": "vote", "option": "yes"})
        response = vote_bot.post("/lark/callback", body, headers)
        assert response.status_code == 200, response.text
        assert response.json()["toast"]["content"] == "Vote counted"

    assert texts(show_card(vote_bot, message_id)["card"]) == ["Yes (2)", "No (0)"]
    state = plugin_state(vote_bot, "vote", message_id)
    assert (state["voter:on_first"], state["voter:on_second"]) == ("yes", "yes")
