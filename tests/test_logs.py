"""What the server log says: a plugin's own lines in cardbot's format, one line per click, where it listens."""

from __future__ import annotations

import re

import pytest

from support import button_card, new_message_id, put_card, start_server

CONFIG = """
[bot]
database = "cardbot.db"

[plugins.vote]
enabled = true

[plugins.diary]
enabled = true
module = "cardbot_testplugins.diary"
"""
VOTE_CARD = {"config": {"update_multi": True}, "elements": [{"tag": "action", "actions": [
    {"tag": "button", "text": {"tag": "plain_text", "content": "Yes"},
     "value": {"button_type": "vote", "option": "yes"}},
    {"tag": "button", "text": {"tag": "plain_text", "content": "?"}, "value": {"button_type": "vote"}},
]}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("logs"), CONFIG)
    yield server
    server.stop()


def click(server, kit, message_id, value, person="ou_a"):
    response = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=value,
                                                                      open_id=person))
    assert response.status_code == 200, response.text
    return response.json()


def click_lines(server, message_id):
    """The click lines of `message_id`: (plugin, outcome, version, ms) each."""
    return re.findall(rf"^\S+ \S+ INFO \[\d+\] cardbot\.clicks: click on {message_id}: plugin=(\S+) outcome=(\S+) "
                      rf"version=(\S+) ms=(\d+)$", server.log(), flags=re.MULTILINE)


def test_a_plugins_own_log_line_is_in_cardbots_format_and_names_the_plugin(server, kit):
    message_id = new_message_id()
    put_card(server, message_id, button_card("diary"))
    click(server, kit, message_id, {"button_type": "diary", "button_id": "b1"}, person="ou_diarist")
    line = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO \[\d+\] cardbot\.plugin\.diary: clicked by ou_diarist$"
    assert re.search(line, server.log(), flags=re.MULTILINE), server.log()


def test_every_click_gets_one_info_line_with_its_plugin_outcome_version_and_time(server, kit):
    message_id = new_message_id()
    put_card(server, message_id, VOTE_CARD)
    click(server, kit, message_id, {"button_type": "vote", "option": "yes"})           # a vote: version 2
    click(server, kit, message_id, {"button_type": "vote", "option": "yes"})           # the same again: no change
    click(server, kit, message_id, {"button_type": "vote"})                            # declined: no option
    click(server, kit, message_id, {"button_type": "vote", "option": "gone"})          # not on the card
    unclaimed = new_message_id()
    put_card(server, unclaimed, button_card("nobody_claims_this"))
    click(server, kit, unclaimed, {"button_type": "nobody_claims_this", "button_id": "b1"})
    unknown = new_message_id()
    click(server, kit, unknown, {"button_type": "vote", "option": "yes"})

    lines = click_lines(server, message_id)
    assert [line[:3] for line in lines] == [("vote", "done", "2"), ("vote", "done", "-"), ("vote", "declined", "-"),
                                            ("vote", "stale", "-")]
    assert [line[:3] for line in click_lines(server, unclaimed)] == [("(none)", "unclaimed", "-")]
    assert [line[:3] for line in click_lines(server, unknown)] == [("vote", "unknown_card", "-")]


def test_where_it_listens_is_logged_once(server):
    assert server.log().count(f"cardbot listening on http://127.0.0.1:{server.port}/lark/callback with 1 worker\n") == 1
