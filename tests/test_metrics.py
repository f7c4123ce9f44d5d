"""`GET /metrics`: clicks counted by plugin and outcome, their durations, events, summed over worker
processes; `[bot] metrics = false` turns it off."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from support import SECRETS, button_card, eventually, new_message_id, put_card, start_server

VOTE_CONFIG = '[bot]\ndatabase = "cardbot.db"\n[plugins.vote]\nenabled = true\n'
POLL = {"config": {"update_multi": True}, "elements": [{"tag": "action", "actions": [
    {"tag": "button", "text": {"tag": "plain_text", "content": "Yes"},
     "value": {"button_type": "vote", "option": "yes"}},
    {"tag": "button", "text": {"tag": "plain_text", "content": "?"}, "value": {"button_type": "vote"}},
]}]}


def samples(server):
    """{(sample name, labels as sorted tuple): value} of everything /metrics answers now."""
    response = server.session.get(server.base_url + "/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text) for sample in family.samples}


def clicks(found, plugin, outcome):
    return found.get(("cardbot_clicks_total", (("outcome", outcome), ("plugin", plugin))), 0)


def metrics_folder(server):
    """The PROMETHEUS_MULTIPROC_DIR the server gave its workers (from their environment, in /proc)."""
    main = server.server_pid()
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1])
            environment = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if parent == main:
            for variable in environment:
                if variable.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                    return Path(variable.split(b"=", 1)[1].decode())
    raise AssertionError("no worker of the server has PROMETHEUS_MULTIPROC_DIR")


def click(server, kit, message_id, value, person):
    response = server.post("/lark/callback", *kit.card_action_trigger(message_id=message_id, value=value,
                                                                      open_id=person))
    assert response.status_code == 200, response.text
    return response.json()


def test_clicks_are_counted_by_plugin_and_outcome_with_their_durations(tmp_path, kit):
    server = start_server(tmp_path, VOTE_CONFIG)
    try:
        message_id = new_message_id()
        put_card(server, message_id, POLL)
        for person in ("ou_a", "ou_b", "ou_c"):
            click(server, kit, message_id, {"button_type": "vote", "option": "yes"}, person)
        refused = click(server, kit, message_id, {"button_type": "vote"}, "ou_d")       # a button with no option
        assert refused["toast"]["content"] == "This vote button has no option (the card is unchanged)"
        other = new_message_id()
        put_card(server, other, button_card("nobody_claims_this"))
        click(server, kit, other, {"button_type": "nobody_claims_this", "button_id": "b1"}, "ou_e")
        assert server.post("/lark/callback", *kit.event("im.chat.disbanded_v1", {"chat_id": "oc_1"})).status_code == 200

        found = samples(server)
    finally:
        server.stop()

    assert clicks(found, "vote", "done") == 3
    assert clicks(found, "vote", "declined") == 1
    assert clicks(found, "(none)", "unclaimed") == 1
    assert found[("cardbot_click_seconds_count", (("plugin", "vote"),))] == 4
    assert found[("cardbot_events_total", (("outcome", "unclaimed"), ("plugin", "(none)"),
                                           ("type", "im.chat.disbanded_v1")))] == 1
    assert found[("cardbot_click_seconds_bucket", (("le", "+Inf"), ("plugin", "vote")))] == 4
    assert 0 < found[("cardbot_click_seconds_sum", (("plugin", "vote"),))]
    assert not list(tmp_path.glob("*_*.db")), "one worker keeps its metrics in memory: no files"


def test_two_workers_add_up_and_their_files_are_removed_at_stop(tmp_path, kit):
    server = start_server(tmp_path, VOTE_CONFIG, workers=2)
    try:
        folder = metrics_folder(server)
        message_id = new_message_id()
        put_card(server, message_id, POLL)
        sent = 24
        for number in range(sent):  # a fresh connection each: the kernel spreads them over both workers
            server.session.close()
            click(server, kit, message_id, {"button_type": "vote", "option": "yes"}, f"ou_{number}")
        found = samples(server)
        files_while_serving = sorted(path.name.split("_")[0] for path in folder.iterdir())
        log = server.log()
    finally:
        server.stop()
    assert clicks(found, "vote", "done") == sent
    assert found[("cardbot_click_seconds_count", (("plugin", "vote"),))] == sent
    workers = {line.split("[", 1)[1].split("]", 1)[0] for line in log.splitlines()
               if "cardbot.clicks: click on" in line}
    assert len(workers) == 2, "both workers should have taken clicks"
    assert files_while_serving and not folder.exists() and not list(tmp_path.glob("*_*.db"))
    assert log.count(f"cardbot listening on http://127.0.0.1:{server.port}/lark/callback with 2 workers\n") == 1


def test_metrics_can_be_turned_off(tmp_path):
    server = start_server(tmp_path, VOTE_CONFIG.replace("[bot]\n", "[bot]\nmetrics = false\n"))
    try:
        response = server.session.get(server.base_url + "/metrics", timeout=10)
    finally:
        server.stop()
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_deadline_miss_and_its_push_are_counted(tmp_path, kit):
    from cardbot.testing import FakeLarkPlatform

    config = VOTE_CONFIG.replace("[bot]\n", "[bot]\ndeadline = 0.5\n") + \
        '[plugins.slow]\nenabled = true\nmodule = "cardbot_testplugins.slow"\n'
    with FakeLarkPlatform() as lark:
        server = start_server(tmp_path, config, env={**SECRETS, **lark.env()})
        try:
            message_id = new_message_id()
            put_card(server, message_id, button_card("slow", seconds=1))
            token = lark.issue_update_token(message_id, "ou_a")
            value = {"button_type": "slow", "button_id": "b1", "seconds": 1}
            body, headers = kit.card_action_trigger(message_id=message_id, value=value, open_id="ou_a",
                                                    update_token=token)
            assert "Processing" in server.post("/lark/callback", body, headers).json()["toast"]["content"]
            eventually(lambda: samples(server).get(
                ("cardbot_pushes_total", (("method", "delayed_update"), ("outcome", "accepted")))) == 1,
                "the late click's card pushed with its update token")
            found = samples(server)
        finally:
            server.stop()
    assert found[("cardbot_deadline_misses_total", (("plugin", "slow"),))] == 1
    assert clicks(found, "slow", "done") == 1   # counted when it finished, after its "processing" answer


def test_timers_outbox_sends_and_commands_are_counted(cardbot_harness):
    from prometheus_client import REGISTRY

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    bot = cardbot_harness("routed", module="cardbot_testplugins.routed")   # in-process: this process's counts
    before = (value("cardbot_timers_total", plugin="routed", outcome="done"),
              value("cardbot_outbox_sends_total", kind="reply", outcome="sent"),
              value("cardbot_events_total", type="im.message.receive_v1", plugin="routed", outcome="done"))

    answered = bot.message("ticket Printer broken")
    assert bot.fire_timer(f"nag:{answered.message_id}")

    assert value("cardbot_timers_total", plugin="routed", outcome="done") == before[0] + 1
    assert value("cardbot_outbox_sends_total", kind="reply", outcome="sent") == before[1] + 1
    assert value("cardbot_events_total", type="im.message.receive_v1", plugin="routed", outcome="done") == \
        before[2] + 1
