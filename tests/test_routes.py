"""Routes inside a plugin (cardbot.Router), run through cardbot's real click, command and timer paths by
the in-process harness, and loaded by a real server."""

from __future__ import annotations

import json
import logging

import pytest

from cardbot import ConfigError
from cardbot.testing import Harness, LarkCallbacks, NoSuchComponent
from support import SECRETS

ROUTED = "cardbot_testplugins.routed"


@pytest.fixture
def bot():
    with Harness("routed", module=ROUTED, config={"team": "it"}) as harness:
        yield harness


@pytest.fixture
def routes_log():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("cardbot.routes")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def open_ticket(bot: Harness, title: str = "Printer broken") -> tuple[str, str]:
    """A command opens a ticket card (a reply); returns (the command's message id, the card's)."""
    answered = bot.message(f"ticket {title}")
    [reply] = answered.sent
    assert (reply["kind"], reply["status"], reply["msg_type"]) == ("reply", "sent", "interactive")
    return answered.message_id, reply["message_id"]


def test_a_command_route_replies_with_a_card_whose_buttons_route_back_with_their_typed_values(bot):
    ticket, card_id = open_ticket(bot)

    assert bot.state(card_id) == {"title": "Printer broken"}  # the reply's starting state
    take = bot.click(card_id, "take", as_="ou_alice")
    assert take.toast.content == "Taken"
    assert take.version == 2
    assert take.card["body"]["elements"][0]["content"] == f"Taken by ou_alice: {ticket}"
    assert bot.state(card_id)["taken_by"] == "ou_alice"
    [first, second] = bot.history(card_id)
    assert (second["plugin"], second["operator"]) == ("routed", "ou_alice")
    again = bot.click(card_id, "take", as_="ou_bob")
    assert again.toast.type == "error" and again.toast.i18n["zh_cn"].startswith("已被领取")


def test_routes_of_one_button_type_are_told_apart_by_their_value_fields(bot):
    _, card_id = open_ticket(bot)

    assert bot.click(card_id, "ping").toast.content == "pong None"       # the route without button_id
    closed = bot.click(card_id, "close")                                  # an async handler
    assert closed.toast.content == "Closed"
    assert closed.card["body"]["elements"][0]["content"] == "Closed (high)"


def test_a_form_submit_routes_by_the_components_name_with_the_forms_values(bot):
    _, card_id = open_ticket(bot)

    answer = bot.click(card_id, "submit", form={"comment": "toner is out"})

    assert answer.toast.content == "Comment: toner is out"
    assert bot.state(card_id)["comments"] == 1


def test_a_timer_route_runs_under_the_cards_turn_and_a_closed_ticket_cancels_it(bot):
    ticket, card_id = open_ticket(bot)
    assert [timer["key"] for timer in bot.timers()] == [f"nag:{ticket}"]

    assert bot.fire_timer(f"nag:{ticket}") is True
    assert bot.card(card_id)["body"]["elements"][0]["content"] == "Still open: Printer broken"
    assert bot.state(card_id)["nags"] == 1
    assert bot.timers() == []

    _, other = open_ticket(bot, "Door stuck")
    bot.click(other, "close")
    assert bot.timers() == []
    assert bot.fire_timer("nag:nothing") is False


def test_a_value_that_does_not_fit_its_dataclass_is_refused_before_the_handler_runs(bot, routes_log):
    old_card = {"schema": "2.0", "body": {"elements": [
        {"tag": "button", "element_id": "take", "text": {"tag": "plain_text", "content": "Take"},
         "behaviors": [{"type": "callback", "value": {"button_type": "ticket", "button_id": "take",
                                                      "ticket": 7, "priority": "urgent"}}]}]}}
    bot.put_card("om_old", old_card)

    refused = bot.click("om_old", "take", as_="ou_alice")

    assert refused.toast.type == "error"
    assert refused.toast.content.startswith("This button's data is not what the bot expects")
    assert "按钮数据与机器人预期不符" in refused.toast.i18n["zh_cn"]
    assert refused.version == 1 and bot.state("om_old") == {}  # the handler never ran
    [line] = [r.getMessage() for r in routes_log if "refused" in r.getMessage()]
    assert "does not fit Ticket (button_type 'ticket', button_id='take')" in line
    assert "'ticket' must be a string, not integer 7" in line
    assert "'priority' must be one of 'low', 'high', not string 'urgent'" in line


def test_a_click_no_route_takes_is_refused_with_a_toast_and_a_log_line(bot, routes_log):
    bot.put_card("om_x", {"schema": "2.0", "body": {"elements": [
        {"tag": "button", "element_id": "odd", "text": {"tag": "plain_text", "content": "?"},
         "behaviors": [{"type": "callback", "value": {"button_type": "ticket", "button_id": "take"}}]}]}})
    # button_id "take" with no ticket field: the typed route refuses; a name nobody routes:
    bot.put_card("om_y", {"schema": "2.0", "body": {"elements": [
        {"tag": "button", "name": "unknown_form_submit", "text": {"tag": "plain_text", "content": "?"},
         "form_action_type": "submit", "element_id": "sub"}]}})

    assert "data is not what the bot expects" in bot.click("om_x", "odd").toast.content
    # a name no plugin claims is not routed to this plugin at all: cardbot's own "not handled" answer
    assert bot.click("om_y", "sub").toast.content == "This button is not handled by the bot."


def test_the_harness_says_which_components_a_card_has(bot):
    _, card_id = open_ticket(bot)
    with pytest.raises(NoSuchComponent, match="no component 'nope' on this card; the card's clickable components: take, close, ping, submit"):
        bot.click(card_id, "nope")
    with pytest.raises(LookupError, match="no card 'om_never' is stored"):
        bot.click("om_never", "take")


def test_a_server_loads_a_router_plugin_and_lists_what_its_routes_claim(server_factory):
    server = server_factory(f'[plugins.routed]\nenabled = true\nmodule = "{ROUTED}"\n')
    listing = server.cli("plugins", "list", "--json").json()
    [routed] = [row for row in listing["plugins"] if row["name"] == "routed"]
    assert sorted(routed["owns"]) == ["command:ticket", "name:comment_submit", "ticket"]
    server.cli("card", "put", "om_1", "-", stdin=json.dumps({"schema": "2.0", "body": {"elements": [
        {"tag": "button", "element_id": "p", "text": {"tag": "plain_text", "content": "Ping"},
         "behaviors": [{"type": "callback", "value": {"button_type": "ticket", "button_id": "x"}}]}]}}))
    lark = LarkCallbacks(SECRETS["LARK_VERIFICATION_TOKEN"], SECRETS["LARK_ENCRYPT_KEY"])
    body, headers = lark.card_action_trigger(message_id="om_1", value={"button_type": "ticket", "button_id": "x"})
    answer = server.post("/lark/callback", body, headers).json()
    assert answer["toast"]["content"] == "pong x"


def test_a_plugin_routing_a_hook_it_also_implements_does_not_start(tmp_path):
    with pytest.raises(ConfigError, match="plugin 'clash' has routes for cardbot_action and implements "
                                          "cardbot_action itself; keep one"):
        Harness({"clash": {"module": "cardbot_testplugins.routed_clash"}}, directory=tmp_path).start()
