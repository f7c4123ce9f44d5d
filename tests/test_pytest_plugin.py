"""cardbot's pytest plugin (the `pytest11` entry point): its fixtures work in another project's test run, and
it changes nothing in a run that does not ask for them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import TEST_PLUGINS

PLUGIN_TESTS = '''
from cardbot_testplugins.routed import ticket_card

ROUTED = '[plugins.routed]\\nenabled = true\\nmodule = "cardbot_testplugins.routed"\\n'


def test_the_harness_fixture(cardbot_harness):
    bot = cardbot_harness("routed", module="cardbot_testplugins.routed")
    bot.put_card("om_1", ticket_card("t-1", "Printer"))
    assert bot.click("om_1", "take", as_="ou_a").toast.content == "Taken"


def test_the_server_and_lark_fixtures(cardbot_server, cardbot_lark):
    server = cardbot_server(ROUTED)
    server.put_card("om_1", ticket_card("t-1", "Printer"))
    assert server.click("om_1", "take", lark=cardbot_lark)["toast"]["content"] == "Taken"
    value = {"button_type": "ticket", "button_id": "x"}
    body, headers = cardbot_lark.card_action_trigger(message_id="om_1", value=value, sign=False)
    assert server.post("/lark/callback", body, headers).status_code == 401  # the server checks signatures


def test_the_platform_fixture(cardbot_server, cardbot_lark_platform):
    server = cardbot_server(ROUTED, env=cardbot_lark_platform.env())
    assert server.cli("send", "--chat", "oc_1", "-", stdin='{"elements": []}').returncode == 0
    assert [kind for kind, _ in cardbot_lark_platform.request_kinds()] == ["token", "send"]
'''

NO_FIXTURE_TESTS = '''
def test_nothing_of_cardbot_runs_uninvited(request):
    assert [name for name in request.fixturenames if "cardbot" in name] == []
'''


def run_pytest(folder: Path, tests: str) -> subprocess.CompletedProcess:
    """pytest in `folder` as another project runs it: its own rootdir and config, cardbot installed."""
    (folder / "test_theirs.py").write_text(tests, encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(TEST_PLUGINS)}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def test_the_fixtures_work_in_another_projects_run(tmp_path):
    result = run_pytest(tmp_path, PLUGIN_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_a_run_that_asks_for_no_fixture_gets_none(tmp_path):
    result = run_pytest(tmp_path, NO_FIXTURE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
