"""Tests of the $name plugin: through cardbot's in-process harness, and end to end through a real server."""

from $package import hello_card

CONFIG = """
[plugins.$name]
enabled = true
"""


def test_a_wave_is_counted_on_the_card(cardbot_harness):
    bot = cardbot_harness("$name")                       # found by its entry point, as a bot admin enables it
    bot.put_card("om_1", hello_card("world"))

    first = bot.click("om_1", "wave", as_="ou_alice")
    second = bot.click("om_1", "wave", as_="ou_bob")

    assert first.toast.content == "Waved!"
    assert second.card["body"]["elements"][0]["content"] == "Hello, world! 2 wave(s) so far."
    assert bot.state("om_1") == {"waves": 2}


def test_a_real_server_answers_a_signed_click(cardbot_server):
    server = cardbot_server(CONFIG)
    server.put_card("om_1", hello_card("world"))

    answer = server.click("om_1", "wave", as_="ou_alice")   # encrypted and signed as Lark sends it

    assert answer["toast"]["content"] == "Waved!"
    assert server.show("om_1")["version"] == 2
