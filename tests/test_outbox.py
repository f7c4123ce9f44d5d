"""The outbox and timers through a real server and the stand-in Lark platform: what a plugin asks to send goes
out only when its click commits, exactly once (also across kill -9), with retries; a card sent from the outbox
starts with its state and is clickable; a timer runs once when due and can be cancelled."""

from __future__ import annotations

import json
import time

import pytest

from cardbot.testing import FakeLarkPlatform
from support import (SECRETS, database_snapshot, eventually, lark_app, plaintext, show_card, start_server)

BOT_OPEN_ID = "ou_bot_outbox"
APPROVER, REQUESTER = "ou_approver", "ou_requester"
CONFIG = '''[bot]
database = "cardbot.db"
host_timeout = 2
[plugins.approvals]
enabled = true
module = "cardbot_testplugins.approvals"
reminder_after = {reminder}
'''


@pytest.fixture
def lark(database_url):
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret", bot_open_id=BOT_OPEN_ID) as platform:
        yield platform


@pytest.fixture
def serve(tmp_path, lark, database_url):
    servers = []

    def start(reminder: float = 3600, workers: int = 1):
        server = start_server(tmp_path, CONFIG.format(reminder=reminder), env={**SECRETS, **lark_app(lark)},
                              workers=workers, database=database_url)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def ask(server, lark, kit, *, chat_id: str = "oc_expenses") -> str:
    """`@bot expense 120 Lunch @approver` from the requester; returns the request card's message id."""
    body, headers = kit.message_receive("@_user_1 expense 120 Lunch @_user_2", chat_id=chat_id, open_id=REQUESTER,
                                        mentions=[(BOT_OPEN_ID, "bot"), (APPROVER, "Approver")])
    lark.register_message(plaintext(body)["event"]["message"]["message_id"], chat_id)
    before = set(lark.messages)
    assert server.post("/lark/callback", body, headers).json() == {}
    return eventually(lambda: next((message_id for message_id, sent in list(lark.messages.items())
                                    if message_id not in before and sent.get("receive_id") == APPROVER
                                    and sent["msg_type"] == "interactive"), None), "the request card")


def texts_to(lark, open_id: str) -> list[str]:
    return [sent["content"]["text"] for sent in list(lark.messages.values())
            if sent.get("receive_id") == open_id and sent["msg_type"] == "text"]


def decide(server, kit, card_id: str, decision: str) -> dict:
    body, headers = kit.card_action_trigger(message_id=card_id, open_id=APPROVER,
                                            value={"button_type": "approval", "decision": decision})
    return server.post("/lark/callback", body, headers).json()


def outbox_rows(server) -> list[tuple]:
    return database_snapshot(server)["outbox"]


@pytest.mark.both_backends
def test_a_card_sent_from_the_outbox_starts_with_its_state_and_its_decision_is_told_once(serve, lark, kit):
    server = serve()
    card_id = ask(server, lark, kit)
    shown = eventually(lambda: server.cli("card", "show", card_id).returncode == 0 and show_card(server, card_id),
                       "the request card to be stored")
    assert shown["version"] == 1 and shown["card"]["header"]["title"]["content"] == "Expense: 120 for Lunch"

    answer = decide(server, kit, card_id, "approve")

    assert answer["toast"]["content"] == "Approved"
    told = eventually(lambda: texts_to(lark, REQUESTER), "the requester to be told")
    assert told == ["Your expense of 120 (Lunch) was approved"]
    history = show_card(server, card_id, history=True)
    assert [(row["kind"], row["status"], row["receive_id"]) for row in history["outbox"]] == [
        ("send", "sent", REQUESTER)]
    assert decide(server, kit, card_id, "reject")["toast"]["type"] == "info"  # its button is gone: stale
    assert texts_to(lark, REQUESTER) == told


@pytest.mark.both_backends
def test_what_a_failed_click_asked_to_send_is_never_sent(serve, lark, kit):
    server = serve()
    card_id = ask(server, lark, kit)
    body, headers = kit.card_action_trigger(message_id=card_id, open_id=APPROVER,
                                            value={"button_type": "approval", "fail": True})

    answer = server.post("/lark/callback", body, headers).json()

    assert answer["toast"]["type"] == "error" and "Broken on purpose" in answer["toast"]["content"]
    assert show_card(server, card_id, history=True)["outbox"] == []
    assert "this must never be sent" not in json.dumps([row for row in outbox_rows(server)])
    assert texts_to(lark, APPROVER) == []


@pytest.mark.both_backends
def test_a_send_under_way_when_the_bot_is_killed_is_sent_once_after_the_restart(serve, lark, kit):
    server = serve()
    card_id = ask(server, lark, kit)
    eventually(lambda: server.cli("card", "show", card_id).returncode == 0, "the request card to be stored")
    lark.delay("send", 3.0)  # the decision's text is under way (Lark has not answered) when the bot dies
    decide(server, kit, card_id, "reject")
    lark.wait_for(lambda requests: any(r.kind == "send" and r.json.get("msg_type") == "text" for r in requests))
    server.kill()

    server.start()

    eventually(lambda: [row for row in show_card(server, card_id, history=True)["outbox"] if row["status"] == "sent"],
               "the decision to be recorded sent", timeout=30)
    time.sleep(3.5)  # the first try's delayed answer has landed too
    assert texts_to(lark, REQUESTER) == ["Your expense of 120 (Lunch) was rejected"]
    sends = [r for r in lark.requests if r.kind == "send" and r.json.get("msg_type") == "text"]
    assert len(sends) >= 2 and len({r.json["uuid"] for r in sends}) == 1  # sent again under the same uuid


def test_a_lark_error_is_retried_and_a_refusal_recorded(serve, lark, kit):
    server = serve()
    card_id = ask(server, lark, kit)
    eventually(lambda: server.cli("card", "show", card_id).returncode == 0, "the request card to be stored")
    lark.fail_next("send", status=503, times=5)  # more than the client's own 4 tries: the outbox tries again

    decide(server, kit, card_id, "approve")

    row = eventually(lambda: [r for r in show_card(server, card_id, history=True)["outbox"] if r["status"] == "sent"],
                     "the retried send", timeout=30)[0]
    assert row["attempts"] == 2
    assert texts_to(lark, REQUESTER) == ["Your expense of 120 (Lunch) was approved"]

    other = ask(server, lark, kit, chat_id="oc_second")
    eventually(lambda: server.cli("card", "show", other).returncode == 0, "the second request card")
    lark.fail_next("send", code=230002, msg="Bot/User can NOT be out of the chat.")
    decide(server, kit, other, "approve")
    failed = eventually(lambda: [r for r in show_card(server, other, history=True)["outbox"] if r["status"] == "failed"],
                        "the refusal to be recorded")[0]
    assert failed["attempts"] == 1 and "230002" in failed["detail"]
    assert "failed for good after 1 tries" in server.log()


@pytest.mark.both_backends
def test_a_reminder_runs_once_when_due_and_a_decision_cancels_it(serve, lark, kit):
    server = serve(reminder=2)
    first = ask(server, lark, kit, chat_id="oc_a")
    second = ask(server, lark, kit, chat_id="oc_b")
    listed = server.cli("timers", "--json").json()["timers"]
    assert len(listed) == 2 and {timer["plugin"] for timer in listed} == {"approvals"}
    decide(server, kit, second, "approve")

    reminders = eventually(lambda: [text for text in texts_to(lark, APPROVER) if text.startswith("Reminder")],
                           "the reminder", timeout=20)
    time.sleep(2.5)  # long enough for a second run, or for the cancelled one, to show
    assert reminders == ["Reminder: an expense of 120 waits for you"]
    assert [text for text in texts_to(lark, APPROVER) if text.startswith("Reminder")] == reminders
    assert server.cli("timers", "--json").json()["timers"] == []
    runs = [row for row in database_snapshot(server)["deliveries"] if str(row[0]).startswith("timer:approvals:")]
    assert len(runs) == 1 and runs[0][2] == "done"
    assert first != second
