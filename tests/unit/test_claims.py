"""Claims: what cardbot_claims may return, and which URL patterns can meet."""

from __future__ import annotations

import pytest

from cardbot import Claims, ConfigError
from cardbot.registry.claims import Routes, globs_overlap, read_claims


def test_a_list_claims_button_types_and_a_mapping_or_claims_every_kind():
    assert read_claims("p", ["vote", "vote", "poll_close"]) == Claims(button_types=("vote", "poll_close"))
    mapping = {"button_types": ["vote"], "names": ["f"], "commands": ["poll"], "url_patterns": ["https://x/*"],
               "events": ["a.b_v1"], "messages": True}
    expected = Claims(("vote",), ("f",), ("poll",), ("https://x/*",), ("a.b_v1",), True)
    assert read_claims("p", mapping) == expected
    assert read_claims("p", expected) == expected
    assert expected.keys() == ["vote", "name:f", "command:poll", "url:https://x/*", "event:a.b_v1", "messages"]
    assert read_claims("p", None) == Claims() and not Claims()


@pytest.mark.parametrize("returned", ["vote", [1], [""], {"names": [None]}, {"commands": "poll"}, 5])
def test_anything_else_is_refused_naming_the_plugin(returned):
    with pytest.raises(ConfigError, match="plugin 'p'"):
        read_claims("p", returned)


@pytest.mark.parametrize("first, second, meet", [
    ("https://a.com/*", "https://a.com/x", True),
    ("https://a.com/*", "https://b.com/*", False),
    ("https://*.example.com/T-*", "https://tickets.example.com/*", True),
    ("https://a.com/*/edit", "https://a.com/*/view", False),
    ("*", "https://anything/", True),
    ("https://a.com/x", "https://a.com/x", True),
    ("https://a.com/x", "https://a.com/y", False),
    ("https://a.com/*x", "https://a.com/y*", True),  # https://a.com/yx
    ("https://a.com/?q=*", "https://a.com/[q]*", False),  # ? and [ are literal
])
def test_glob_overlap(first, second, meet):
    assert globs_overlap(first, second) is meet and globs_overlap(second, first) is meet


def test_the_most_specific_url_pattern_wins():
    routes = Routes({"url:https://a.com/*": "broad", "url:https://a.com/tickets/*": "narrow"},
                    (("https://a.com/tickets/*", "narrow"), ("https://a.com/*", "broad")))
    assert routes.owner_of_url("https://a.com/tickets/T-1") == "narrow"
    assert routes.owner_of_url("https://a.com/wiki") == "broad"
    assert routes.owner_of_url("https://b.com/") is None and routes.owner_of_url(None) is None
    assert routes.owner_of_url("https://a.com/tickets/?q=[x]") == "narrow"
