"""The expense approval plugin, tested through cardbot's in-process harness and once end to end."""

import json

import pytest

from cardbot_expenses import Request, request_card

BOSS, CFO, ALICE = "ou_boss", "ou_cfo", "ou_alice"
CONFIG = {"approvers": [BOSS, CFO]}


@pytest.fixture
def bot(cardbot_harness):
    return cardbot_harness("expenses", config=CONFIG)


def ask(bot, text="expense 120 Team lunch"):
    """Alice asks in the chat; returns the request card's message id."""
    [reply] = bot.message(text, as_=ALICE).sent
    return reply["message_id"]


def test_both_approvers_approve_and_the_requester_is_told(bot):
    card = ask(bot)

    first = bot.click(card, "approve", as_=BOSS)
    second = bot.click(card, "approve", as_=CFO)

    assert "waiting for the other approver" in first.card["body"]["elements"][0]["content"]
    assert second.toast.content == "Approved"
    assert second.card["body"]["elements"] == [{"tag": "markdown", "element_id": "status", "content":
                                                "**Approved** by <at id=ou_boss></at>, <at id=ou_cfo></at>"}]
    told = [row for row in bot.outbox() if row["msg_type"] == "text"]
    assert [(row["receive_id"], row["content"]["text"], row["status"]) for row in told] == [
        (ALICE, "Your expense of 120 (Team lunch) was approved", "sent")]


def test_an_approver_counts_once(bot):
    card = ask(bot)
    bot.click(card, "approve", as_=BOSS)

    again = bot.click(card, "approve", as_=BOSS)

    assert again.toast.content == "You have approved this already"
    assert bot.state(card)["approved_by"] == [BOSS]


def test_rejecting_needs_a_reason_picked_first(bot):
    card = ask(bot)

    refused = bot.click(card, "reject", as_=CFO)
    bot.click(card, "reason", as_=CFO, option="budget")
    rejected = bot.click(card, "reject", as_=CFO)

    assert refused.toast.type == "error" and refused.toast.content.startswith("Pick a reason from the menu first")
    assert refused.toast.i18n["zh_cn"].startswith("请先从菜单中选择原因")
    assert rejected.card["body"]["elements"][0]["content"] == "**Rejected** by <at id=ou_cfo></at>: Over budget"
    assert bot.outbox()[-1]["content"]["text"] == "Your expense of 120 (Team lunch) was rejected (Over budget)"


def test_only_approvers_decide(bot):
    card = ask(bot)

    refused = bot.click(card, "approve", as_=ALICE)

    assert refused.toast.content.startswith("Only the approvers can decide")
    assert refused.version == 1 and bot.state(card)["approved_by"] == []


def test_a_request_without_a_reason_gets_the_usage(bot):
    assert bot.message("expense 120", as_=ALICE).texts == ["Usage: @bot expense AMOUNT REASON"]


def test_a_real_server_takes_a_signed_click_on_the_card(cardbot_server):
    server = cardbot_server(f"[plugins.expenses]\nenabled = true\napprovers = {json.dumps([BOSS, CFO])}\n")
    server.put_card("om_1", request_card(Request("om_ask"), "120", "Team lunch"))

    answer = server.click("om_1", "approve", as_=ALICE)   # encrypted and signed, as Lark sends it

    assert answer["toast"]["content"].startswith("Only the approvers can decide")
    assert server.show("om_1")["version"] == 1
