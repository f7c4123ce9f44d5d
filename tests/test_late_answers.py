"""The 3-second window: a slow plugin gets a "processing" answer, then its card is pushed to Lark.

Order is proved by monotonic timestamps taken in this process (the answer's arrival, the webhook's
completion, the platform's receipt of the update), never by asserting how long anything took.
"""

from __future__ import annotations

import time

import pytest

from cardbot.testing import FakeLarkPlatform
from support import (DONE_ELEMENTS, SECRETS, SEED_BUTTON, assert_undamaged, button_card, new_message_id, put_card, seed_card,
                      show_card, start_server)
from webhook import ReleaseWebhook

APP = {"LARK_APP_ID": "cli_test", "LARK_APP_SECRET": "secret"}


@pytest.fixture(scope="module")
def lark():
    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as platform:
        yield platform


@pytest.fixture(scope="module")
def webhook():
    with ReleaseWebhook() as hook:
        yield hook


@pytest.fixture(autouse=True)
def _webhook_answers_at_once_after_each_test(webhook):
    """A test that slows the shared webhook down cannot slow the next one (even when it fails midway)."""
    yield
    webhook.answer()


@pytest.fixture(scope="module")
def late_bot(tmp_path_factory, lark, webhook, module_database):
    config = f"""
[bot]
database = "cardbot.db"
deadline = 0.5
hard_limit = 6
processing_toast = "working on it"

[plugins.publish]
enabled = true
webhook = "{webhook.url}"

[plugins.slow]
enabled = true
module = "cardbot_testplugins.slow"
"""
    server = start_server(tmp_path_factory.mktemp("late"), config, database=module_database,
                          env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url})
    yield server
    server.stop()


def post_click(server, kit, message_id, value, **kwargs):
    body, headers = kit.card_action_trigger(message_id=message_id, value=value, **kwargs)
    response = server.post("/lark/callback", body, headers)
    assert response.status_code == 200
    return response.json(), time.monotonic()


def slow_card(kind, seconds=None, *, shared=True):
    """A card whose button routes to a slow test plugin; returns (card, the button's value)."""
    extra = {} if seconds is None else {"seconds": seconds}
    card = button_card(kind, shared=shared, **extra)
    return card, {"button_type": kind, "button_id": "b1", **extra}


def updates_for(lark, token):
    return [r for r in lark.requests if r.kind == "update" and (r.json or {}).get("token") == token]


def test_a_4_second_release_is_answered_first_then_pushed_with_the_click_token(late_bot, lark, webhook, kit):
    webhook.answer(delay=4)
    releases_before = len(webhook.finished_at)  # the webhook serves the module's tests on both backends
    message_id = new_message_id()
    put_card(late_bot, message_id, seed_card())  # exclusive: JSON 1.0 without update_multi, like the seed's
    token = lark.issue_update_token(message_id, "ou_releaser")

    answer, answered_at = post_click(late_bot, kit, message_id, SEED_BUTTON, open_id="ou_releaser",
                                     update_token=token)

    assert answer == {"toast": {"type": "info", "content": "working on it"}}
    assert all(answered_at < finished for finished in webhook.finished_at[releases_before:])  # before it ended
    lark.wait_for(lambda requests: updates_for(lark, token), timeout=20)
    update = updates_for(lark, token)[0]
    assert update.received_at > answered_at and update.status == 200
    assert update.json["card"]["open_ids"] == ["ou_releaser"]
    assert update.json["card"]["i18n_elements"] == {"zh_cn": DONE_ELEMENTS}
    shown = show_card(late_bot, message_id, history=True)
    assert shown["version"] == 2 and shown["card"] == {"i18n_elements": {"zh_cn": DONE_ELEMENTS}}
    assert shown["history"][1]["pushes"] == [
        {**shown["history"][1]["pushes"][0], "method": "delayed_update", "accepted": True, "detail": None}]
    assert shown["clicks"][0]["answer"] == "processing" and shown["clicks"][0]["status"] == "done"
    webhook.answer()


def test_a_shared_card_whose_token_is_refused_is_patched_instead(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("slow", 1.5)
    lark.messages[message_id] = {"receive_id": "oc_x", "receive_id_type": "chat_id", "card": card, "uuid": None}
    put_card(late_bot, message_id, card)
    lark.fail_next("update", code=300040, msg="token used more than 2 times")

    answer, answered_at = post_click(late_bot, kit, message_id, value)

    assert answer["toast"]["content"] == "working on it"
    lark.wait_for(lambda requests: any(r.kind == "patch" and message_id in r.path for r in requests), timeout=20)
    patch = next(r for r in lark.requests if r.kind == "patch" and message_id in r.path)
    assert patch.received_at > answered_at
    assert lark.messages[message_id]["card"] == show_card(late_bot, message_id)["card"]
    pushes = show_card(late_bot, message_id, history=True)["history"][1]["pushes"]
    assert [(p["method"], p["accepted"]) for p in pushes] == [("delayed_update", False), ("patch", True)]
    assert "300040" in pushes[0]["detail"]


def test_a_shared_card_update_carries_no_open_ids(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("slow", 1)
    put_card(late_bot, message_id, card)
    token = lark.issue_update_token(message_id, "ou_x")
    post_click(late_bot, kit, message_id, value, update_token=token)
    lark.wait_for(lambda requests: updates_for(lark, token), timeout=20)
    assert "open_ids" not in updates_for(lark, token)[0].json["card"]


def test_an_exclusive_card_whose_token_is_refused_is_not_patched(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("slow", 1, shared=False)
    put_card(late_bot, message_id, card)
    lark.fail_next("update", code=300030, msg="token expired")
    post_click(late_bot, kit, message_id, value)
    deadline = time.monotonic() + 20
    while not show_card(late_bot, message_id, history=True)["history"][-1]["pushes"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    pushes = show_card(late_bot, message_id, history=True)["history"][-1]["pushes"]
    assert [(p["method"], p["accepted"]) for p in pushes] == [("delayed_update", False)]
    assert not any(r.kind == "patch" and message_id in r.path for r in lark.requests)


def wait_for_click(server, message_id, status, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        clicks = show_card(server, message_id, history=True)["clicks"]
        if clicks and clicks[0]["status"] == status:
            return clicks[0]
        time.sleep(0.1)
    raise AssertionError(f"click on {message_id} never became {status!r}: {clicks}")


def test_a_plugin_failing_after_the_answer_leaves_the_card_and_records_why(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("slow_fail", 1)
    put_card(late_bot, message_id, card)
    answer, _ = post_click(late_bot, kit, message_id, value)
    assert answer["toast"]["content"] == "working on it"
    click = wait_for_click(late_bot, message_id, "failed")
    assert "took long, then failed" in click["detail"]
    assert show_card(late_bot, message_id)["version"] == 1


def test_a_hanging_plugin_is_cut_off_at_the_hard_limit(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("hang")
    put_card(late_bot, message_id, card)
    answer, _ = post_click(late_bot, kit, message_id, value)
    assert answer["toast"]["content"] == "working on it"
    click = wait_for_click(late_bot, message_id, "timed out")
    assert "hard limit" in click["detail"]
    assert show_card(late_bot, message_id)["version"] == 1
    # the worker still serves other clicks
    other = new_message_id()
    put_card(late_bot, other, seed_card())
    assert post_click(late_bot, kit, other, SEED_BUTTON)[0]["toast"]["content"] == "已完成"


def test_a_repeat_of_a_click_still_running_gets_the_processing_toast(late_bot, lark, kit):
    message_id = new_message_id()
    card, value = slow_card("slow", 2)
    put_card(late_bot, message_id, card)
    first, _ = post_click(late_bot, kit, message_id, value, event_id="evt-" + message_id)
    again, _ = post_click(late_bot, kit, message_id, value, event_id="evt-" + message_id)
    assert first["toast"]["content"] == again["toast"]["content"] == "working on it"
    wait_for_click(late_bot, message_id, "done")
    assert show_card(late_bot, message_id)["version"] == 2


def start_a_long_release(server_factory, lark, webhook, kit, bot_settings: str = ""):
    """A server whose publish webhook takes 5 s, and a click on the seed card answered "processing";
    returns (server, message id, webhook calls so far)."""
    config = (f'[bot]\ndatabase = "cardbot.db"\n{bot_settings}'
              f'[plugins.publish]\nenabled = true\nwebhook = "{webhook.url}"\n')
    server = server_factory(config, env={**SECRETS, **APP, "LARK_API_BASE": lark.base_url})
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    webhook.answer(delay=5)
    answer, _ = post_click(server, kit, message_id, SEED_BUTTON)
    assert answer["toast"]["content"].startswith("Processing")
    return server, message_id, len(webhook.received)


def assert_interrupted_and_never_rerun(server, message_id, webhook, calls, logged: str):
    """After the restart: the click is recorded interrupted (a killed process's by the next sweep, within
    host_timeout), the card unchanged, the release not run again."""
    deadline = time.monotonic() + 15
    while (click := show_card(server, message_id, history=True)["clicks"][0])["status"] == "running":
        assert time.monotonic() < deadline, "the click is still recorded running"
        time.sleep(0.2)
    assert click["status"] == "interrupted" and click["answer"] == "processing"
    assert logged in server.log_path.read_text()
    assert show_card(server, message_id)["version"] == 1
    time.sleep(0.5)
    assert len(webhook.received) == calls  # the release was never re-run
    webhook.answer()


def test_a_click_interrupted_by_a_crash_is_recorded_and_never_rerun(server_factory, lark, webhook, kit):
    server, message_id, calls = start_a_long_release(server_factory, lark, webhook, kit, "host_timeout = 2\n")

    server.kill()  # kill -9 while the release is still running
    server.start()

    assert_interrupted_and_never_rerun(server, message_id, webhook, calls, "1 click(s) were interrupted")
    assert_undamaged(server)


def test_a_plain_plugin_cut_off_at_the_hard_limit_keeps_its_card_until_its_thread_returns(server_factory, kit):
    config = ('[bot]\ndatabase = "cardbot.db"\ndeadline = 0.5\nhard_limit = 2.5\n'
              '[plugins.sync_sleep]\nenabled = true\nmodule = "cardbot_testplugins.sync_sleep"\n')
    server = server_factory(config)
    message_id = new_message_id()
    card, value = slow_card("sync_sleep", 3.5)
    put_card(server, message_id, card)

    post_click(server, kit, message_id, value, open_id="ou_first")  # cut off at 2.5 s, sleeps on until 3.5 s
    wait_for_click(server, message_id, "timed out")
    post_click(server, kit, message_id, value, open_id="ou_second")  # must not run beside the first
    log = server.directory / "markers" / "sync_sleep.log"
    deadline = time.monotonic() + 20
    while log.read_text().count("end") < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    events = [line.split() for line in log.read_text().splitlines()]
    assert [(kind, who) for kind, who, _ in events] == [
        ("start", "ou_first"), ("end", "ou_first"), ("start", "ou_second"), ("end", "ou_second")]


def test_a_click_still_running_when_the_grace_period_ends_is_recorded_interrupted(server_factory, lark, webhook, kit):
    server, message_id, calls = start_a_long_release(server_factory, lark, webhook, kit, "shutdown_grace = 0.5\n")

    server.stop()  # a graceful stop: the release outlives the 0.5 s grace period
    server.start()

    assert_interrupted_and_never_rerun(server, message_id, webhook, calls,
                                       "1 click(s) still running at shutdown were recorded interrupted")
