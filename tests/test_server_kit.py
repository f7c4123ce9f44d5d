"""The test kit's BotServer: a real `bot.py serve` process that refuses to be started twice."""

from __future__ import annotations

import pytest

from support import STANDARD_CONFIG


def test_starting_a_running_server_again_is_refused(server_factory):
    server = server_factory(STANDARD_CONFIG)
    first = server.process
    with pytest.raises(RuntimeError, match="already running"):
        server.start()
    assert server.process is first and first.poll() is None
    server.stop()
    server.start()  # once stopped, it starts again
    assert server.process is not first and server.process.poll() is None


ROUTED = '[plugins.routed]\nenabled = true\nmodule = "cardbot_testplugins.routed"\n'


def test_put_card_click_and_show_drive_a_real_server_as_lark_would(server_factory):
    from cardbot_testplugins.routed import ticket_card

    server = server_factory(ROUTED)
    assert server.put_card("om_kit", ticket_card("t-1", "Printer")) == 1

    taken = server.click("om_kit", "take", as_="ou_alice")                 # encrypted and signed, as Lark does
    commented = server.click("om_kit", "submit", form={"comment": "toner"})

    assert taken["toast"]["content"] == "Taken"
    assert taken["card"]["data"]["body"]["elements"][0]["content"] == "Taken by ou_alice: t-1"
    assert commented["toast"]["content"] == "Comment: toner"
    shown = server.show("om_kit", history=True)
    assert shown["version"] == 2 and [entry["version"] for entry in shown["history"]] == [1, 2]


def test_the_kit_says_plainly_what_it_cannot_do(server_factory):
    server = server_factory(ROUTED)
    with pytest.raises(RuntimeError, match="`card show om_none` failed .*no card stored for message om_none"):
        server.click("om_none", "take")
    with pytest.raises(RuntimeError, match="`card put om_bad -` failed .*Lark's limit is 30720"):
        server.put_card("om_bad", {"elements": [{"tag": "markdown", "content": "x" * 40000}]})
