"""The vote plugin's poll command: reading `poll QUESTION OPTION…` and the card it builds, whose buttons the
plugin counts votes on."""

from __future__ import annotations

import json
import re
import shlex
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cardbot.patches import apply_patch, is_shared, validate_card
from cardbot_plugins.vote.poll import POLL_USAGE, PollSyntaxError, poll_card, read_closing, read_poll
from cardbot_plugins.vote.render import closed_patch, render_votes, vote_buttons

LUNCH = ("Lunch today?", ["Noodles", "Rice", "Hot pot"])


def test_a_poll_reads_as_the_usage_shows():
    assert read_poll(shlex.split('"Lunch today?" Noodles Rice "Hot pot"')) == LUNCH


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([" Lunch today? ", "Noodles ", " Rice", "Hot pot"], LUNCH),  # surrounding spaces dropped
        (["Q", "a", "b"], ("Q", ["a", "b"])),
        (["Q", *"abcdefghij"], ("Q", list("abcdefghij"))),
        (["Q" * 100, "a" * 80, "b"], ("Q" * 100, ["a" * 80, "b"])),
        (["Q", "Rice", "Rice noodles"], ("Q", ["Rice", "Rice noodles"])),
    ],
)
def test_good_polls(args, expected):
    assert read_poll(args) == expected


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "The poll has no question"),
        (["  "], "The poll has no question"),
        (["Lunch?"], "A poll takes 2 to 10 options, not 0"),
        (["Lunch?", "Rice"], "A poll takes 2 to 10 options, not 1"),
        (["Q", *"abcdefghijk"], "A poll takes 2 to 10 options, not 11"),
        (["Q", "Rice", " ", "Noodles"], "Option 2 is empty"),
        (["Q", "Rice", "Noodles", "rice"], 'Option 3 ("rice") repeats option 1 ("Rice")'),
        (["Q", "Rice", "Rice"], 'Option 2 ("Rice") repeats option 1 ("Rice")'),
        (["Q", "Rice", "RICE "], 'Option 2 ("RICE") repeats option 1 ("Rice")'),
        (["Q" * 101, "a", "b"], "The question is 101 characters long; at most 100 fit"),
        (["Q", "a", "b" * 81], "Option 2 is 81 characters long; at most 80 fit"),
    ],
)
def test_refused_polls_say_what_is_wrong_then_the_usage(args, problem):
    with pytest.raises(PollSyntaxError) as refused:
        read_poll(args)
    assert str(refused.value) == f"{problem}\n{POLL_USAGE}"
    assert refused.value.problem == problem
    assert isinstance(refused.value, ValueError)


def test_a_splitting_error_is_refused_even_when_words_came_through():
    with pytest.raises(PollSyntaxError) as refused:
        read_poll(["Lunch?", "Rice", "Noodles"], syntax_error="No closing quotation")
    assert str(refused.value) == f"The quotes do not pair up (No closing quotation)\n{POLL_USAGE}"


def test_the_usage_shows_a_poll_that_reads():
    example = POLL_USAGE.split("quote words with spaces: ")[1].split(")")[0]
    assert read_poll(shlex.split(example)[1:]) == LUNCH


NOON = datetime(2026, 12, 2, 12, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("args, closes_at", [
    (["Q", "a", "b", "--close-in", "90s"], NOON + timedelta(seconds=90)),
    (["--close-in=10m", "Q", "a", "b"], NOON + timedelta(minutes=10)),
    (["Q", "--close-in", "1h30m", "a", "b"], NOON + timedelta(hours=1, minutes=30)),
    (["Q", "a", "b", "--close-at", "17:30"], NOON.replace(hour=17, minute=30)),
    (["Q", "a", "b", "--close-at", "09:05"], NOON.replace(day=3, hour=9, minute=5)),  # tomorrow: 9:05 has passed
    (["Q", "a", "b"], None),
])
def test_a_poll_may_say_when_it_closes(args, closes_at):
    words, when = read_closing(args, NOON)
    assert (words, when) == (["Q", "a", "b"], closes_at)
    if when is not None:
        assert when.tzinfo == NOON.tzinfo


@pytest.mark.parametrize("args, problem", [
    (["Q", "a", "b", "--close-in", "soon"], "--close-in takes a duration like 90s, 10m, 2h or 1h30m, not 'soon'"),
    (["Q", "a", "b", "--close-in"], "--close-in takes a duration"),
    (["Q", "a", "b", "--close-in", "0s"], "--close-in must be between 1 second and 30 days"),
    (["Q", "a", "b", "--close-in", "800h"], "--close-in must be between 1 second and 30 days"),
    (["Q", "a", "b", "--close-at", "25:00"], "--close-at takes a time of day like 17:30, not '25:00'"),
    (["Q", "a", "b", "--close-at", "17:00", "--close-in", "1m"], "Give --close-in or --close-at once"),
])
def test_a_malformed_closing_says_what_is_wrong(args, problem):
    with pytest.raises(PollSyntaxError, match=re.escape(problem)):
        read_closing(args, NOON)


def test_closing_keeps_the_counts_disables_the_buttons_and_notes_it():
    card = poll_card("Q", ["Rice", "Noodles"], NOON + timedelta(minutes=5))
    assert "Closes at 2026-12-02 12:05 (CST)" in json.dumps(card)
    voted = apply_patch(card, render_votes(card, {"Rice": 2}, first_vote=True, voters=None, max_voters_shown=20))
    closed = apply_patch(voted, closed_patch(voted, {"Rice": 2}, first_vote=False))
    validate_card(closed)
    buttons = [element for element in closed["body"]["elements"] if element["tag"] == "button"]
    assert [button["text"]["content"] for button in buttons] == ["Rice (2)", "Noodles (0)"]
    assert all(button["disabled"] is True and "behaviors" not in button for button in buttons)
    notes = [element["content"] for element in closed["body"]["elements"] if element["tag"] == "markdown"]
    assert notes == ["**Closed**: 2 vote(s) in all"]
    assert list(vote_buttons(closed)) == []  # nothing left to vote on


def test_the_card_is_a_valid_shared_json_2_card_titled_with_the_question():
    card = poll_card(*LUNCH)
    validate_card(card)
    assert card["schema"] == "2.0" and card["config"] == {"update_multi": True} and is_shared(card)
    assert card["header"]["title"] == {"tag": "plain_text", "content": "Lunch today?"}


def test_each_option_is_a_default_vote_button_labelled_with_it():
    buttons = poll_card(*LUNCH)["body"]["elements"]
    assert [button["text"] for button in buttons] == [
        {"tag": "plain_text", "content": label} for label in LUNCH[1]]
    assert all(button["tag"] == "button" and button["type"] == "default" for button in buttons)
    assert [button["behaviors"] for button in buttons] == [
        [{"type": "callback", "value": {"button_type": "vote", "option": label}}] for label in LUNCH[1]]


def test_the_vote_plugin_finds_every_button_with_its_label():
    found = list(vote_buttons(poll_card(*LUNCH)))
    assert [(button.option, button.text) for button in found] == [(label, label) for label in LUNCH[1]]
    assert {button.tree_path for button in found} == {"/body/elements"}


def test_a_first_vote_writes_the_counts_on_the_buttons():
    card = poll_card(*LUNCH)
    patch = render_votes(card, {"Rice": 2}, first_vote=True, voters=None, max_voters_shown=20)
    voted = apply_patch(card, patch)
    validate_card(voted, before=card)
    assert [button.text for button in vote_buttons(voted)] == ["Noodles (0)", "Rice (2)", "Hot pot (0)"]


def test_the_voters_list_goes_under_the_buttons():
    card = poll_card(*LUNCH)
    patch = render_votes(card, {"Rice": 1}, first_vote=True, voters={"Rice": ["ou_a"]}, max_voters_shown=20)
    voted = apply_patch(card, patch)
    validate_card(voted, before=card)
    assert voted["body"]["elements"][-1]["content"] == "**Noodles**: -\n**Rice**: <at id=ou_a></at>\n**Hot pot**: -"
