"""A database locked by someone else: clicks wait a bounded time, then get a 200 and a retry toast."""

from __future__ import annotations

import sqlite3

from support import SEED_BUTTON, new_message_id, put_card, seed_card, show_card


def test_a_locked_database_gives_a_busy_toast_not_a_500(server_factory, kit):
    server = server_factory('[bot]\ndatabase = "cardbot.db"\nbusy_timeout = 0.3\n[plugins.publish]\nenabled = true\n')
    message_id = new_message_id()
    put_card(server, message_id, seed_card())
    locker = sqlite3.connect(server.directory / "cardbot.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        body, headers = kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON)
        response = server.post("/lark/callback", body, headers)
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    assert response.status_code == 200
    assert set(response.json()) == {"toast"} and "busy" in response.json()["toast"]["content"]
    assert show_card(server, message_id)["version"] == 1
    retry = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=SEED_BUTTON))
    assert retry.json()["toast"]["content"] == "已完成"
