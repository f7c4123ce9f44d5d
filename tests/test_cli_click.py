"""`bot.py click`: a stored card's component clicked on a running server as Lark would click it, the plugin given
what Lark would give it, the answer printed; with and without secrets; clear errors, never a traceback."""

from __future__ import annotations

import json
import subprocess

import pytest

from cardbot.testing import BotServer, free_port
from cardbot.testing.server import server_environment
from support import (BOT_COMMAND, RECORDER_CONFIG, SECRETS, TEST_PLUGINS, new_message_id, put_card, recorded,
                     show_card, start_server)

CLAIMS = {"button_types": ["recorded"], "names": ["sides", "send"]}
CONFIG = f'[bot]\ndatabase = "cardbot.db"\n{RECORDER_CONFIG}[plugins.vote]\nenabled = true\n'


def callback(**value):
    return [{"type": "callback", "value": {"button_type": "recorded", **value}}]


def text(content):
    return {"tag": "plain_text", "content": content}


CARD = {"schema": "2.0", "body": {"elements": [
    {"tag": "markdown", "element_id": "status", "content": "Pick"},
    {"tag": "button", "element_id": "approve", "text": text("Approve"),
     "behaviors": callback(button_id="approve_btn")},
    {"tag": "select_static", "element_id": "lunch", "placeholder": text("Lunch"),
     "options": [{"text": text("Noodles"), "value": "noodles"}, {"text": text("Rice"), "value": "rice"}],
     "behaviors": callback(what="lunch")},
    {"tag": "multi_select_static", "name": "sides", "placeholder": text("Sides"),
     "options": [{"text": text("Soup"), "value": "soup"}, {"text": text("Salad"), "value": "salad"}]},
    {"tag": "input", "element_id": "note", "name": "note", "placeholder": text("Note"),
     "behaviors": callback(what="note")},
    {"tag": "checker", "element_id": "done", "text": text("Done"), "checked": False,
     "behaviors": callback(what="done")},
    {"tag": "form", "name": "leave", "elements": [
        {"tag": "input", "name": "reason", "placeholder": text("Why")},
        {"tag": "multi_select_static", "name": "days", "placeholder": text("Days"),
         "options": [{"text": text("Mon"), "value": "mon"}, {"text": text("Tue"), "value": "tue"}]},
        {"tag": "button", "name": "send", "text": text("Send"), "form_action_type": "submit"},
    ]},
    {"tag": "button", "element_id": "vote_a", "text": text("A"),
     "behaviors": [{"type": "callback", "value": {"button_type": "vote", "option": "a"}}]},
    {"tag": "button", "element_id": "broken", "text": text("Broken"),
     "behaviors": [{"type": "callback", "value": {"button_type": "vote"}}]},
]}}


def recorder_env(folder):
    return {"CARDBOT_RECORDER_DIR": str(folder), "CARDBOT_RECORDER_CLAIMS": json.dumps(CLAIMS)}


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    """A --dev server with no secrets (the CLI it runs has none either), and the folder its recorder writes."""
    folder = tmp_path_factory.mktemp("recorded")
    server = start_server(tmp_path_factory.mktemp("dev"), CONFIG, env=recorder_env(folder), dev=True)
    yield server, folder
    server.stop()


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A server with both secrets, given to the CLI too (BotServer.cli passes the server's environment)."""
    folder = tmp_path_factory.mktemp("recorded")
    server = start_server(tmp_path_factory.mktemp("signed"), CONFIG, env={**SECRETS, **recorder_env(folder)})
    yield server, folder
    server.stop()


def click(server: BotServer, *args: str, env: dict[str, str] | None = None):
    """`bot.py click …` against `server`: on its port (from its config), in its environment unless `env` is given."""
    result = (server.cli("click", *args, "--url", f"{server.base_url}/lark/callback") if env is None else
              subprocess.run([*BOT_COMMAND, "click", *args, "--url", f"{server.base_url}/lark/callback", "--config",
                              str(server.config_path)], capture_output=True, text=True, timeout=60,
                             env=server_environment(env, (TEST_PLUGINS,))))
    assert "Traceback" not in result.stdout + result.stderr
    return result


def stored(server):
    card_id = new_message_id()
    put_card(server, card_id, CARD)
    return card_id


def last_action(folder, card_id):
    mine = [entry for entry in recorded(folder, "cardbot_action") if entry["card_id"] == card_id]
    assert len(mine) == 1, mine
    return mine[0]


def test_a_button_found_by_its_button_id_reaches_the_plugin_as_lark_sends_it(dev):
    server, folder = dev
    card_id = stored(server)

    result = click(server, card_id, "approve_btn", "--as", "ou_me")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == 'toast: success "recorded"'
    assert result.stdout.splitlines()[1] == "card: unchanged"
    action = last_action(folder, card_id)
    assert action["format"] == "card.action.trigger" and action["tag"] == "button"
    assert action["value"] == {"button_type": "recorded", "button_id": "approve_btn"}
    assert action["operator"]["open_id"] == "ou_me" and action["operator"]["user_id"] is None
    assert action["message_id"] == card_id


@pytest.mark.parametrize("args, expected", [
    (["lunch", "--option", "rice"], {"tag": "select_static", "option": "rice", "value": {"button_type": "recorded",
                                                                                        "what": "lunch"}}),
    (["sides", "--option", "soup"], {"tag": "multi_select_static", "name": "sides", "options": ["soup"], "value": {}}),
    (["sides", "--option", "soup", "--option", "salad"], {"options": ["soup", "salad"]}),
    (["note", "--input", "back at 3"], {"tag": "input", "name": "note", "input_value": "back at 3"}),
    (["done"], {"tag": "checker", "checked": True}),
    (["done", "--unchecked"], {"checked": False}),
    (["send", "--form", "reason=dentist", "--form", "days=mon", "--form", "days=tue"],
     {"tag": "button", "name": "send", "value": {}, "form_value": {"reason": "dentist", "days": ["mon", "tue"]}}),
    (["lunch", "--option", "rice", "--timezone", "Asia/Shanghai"], {"timezone": "Asia/Shanghai"}),
])
def test_each_component_gives_the_plugin_what_its_flags_say(dev, args, expected):
    server, folder = dev
    card_id = stored(server)

    result = click(server, card_id, *args, "--as", "ou_me")

    assert result.returncode == 0, result.stderr
    action = last_action(folder, card_id)
    assert {key: action[key] for key in expected} == expected


def test_legacy_sends_a_legacy_callback(dev):
    server, folder = dev
    card_id = stored(server)

    result = click(server, card_id, "lunch", "--option", "noodles", "--as", "ou_me", "--legacy")

    assert result.returncode == 0, result.stderr
    action = last_action(folder, card_id)
    assert (action["format"], action["option"], action["operator"]["open_id"]) == ("legacy", "noodles", "ou_me")


def test_a_vote_moves_the_stored_version_and_the_new_card_is_printed(dev):
    server, _ = dev
    card_id = stored(server)

    result = click(server, card_id, "vote_a", "--as", "ou_me")

    assert result.returncode == 0, result.stderr
    first, rest = result.stdout.split("\n", 1)
    assert first == 'toast: success "Vote counted"'
    printed = json.loads(rest)
    assert printed["body"]["elements"][7]["text"]["content"] == "A (1)"
    shown = show_card(server, card_id)
    assert shown["version"] == 2 and shown["card"] == printed

    raw = click(server, card_id, "vote_a", "--as", "ou_you", "--json")
    answer = json.loads(raw.stdout)
    assert answer["card"]["type"] == "raw"
    assert answer["card"]["data"]["body"]["elements"][7]["text"]["content"] == "A (2)"


def test_an_error_toast_exits_1_after_printing_it(dev):
    server, _ = dev
    result = click(server, stored(server), "broken", "--as", "ou_me")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == 'toast: error "This vote button has no option (the card is unchanged)"'


def test_clicks_are_encrypted_and_signed_with_the_secrets_in_the_environment(signed):
    server, folder = signed
    card_id = stored(server)

    assert click(server, card_id, "approve", "--as", "ou_me").returncode == 0
    assert click(server, card_id, "lunch", "--option", "rice", "--as", "ou_me", "--legacy").returncode == 0

    formats = [entry["format"] for entry in recorded(folder, "cardbot_action") if entry["card_id"] == card_id]
    assert formats == ["card.action.trigger", "legacy"]


def test_a_refusal_by_the_server_is_printed_with_its_message(signed):
    server, _ = signed
    result = click(server, stored(server), "approve", "--as", "ou_me", env={})  # no secrets: unsigned
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: the bot refused the click with 401: missing X-Lark-Signature")
    assert "LARK_VERIFICATION_TOKEN" in result.stderr


def test_an_unknown_card_says_so(dev):
    server, _ = dev
    result = click(server, "om_never", "approve", "--as", "ou_me")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no card stored for message om_never in "), result.stderr


def test_an_unknown_button_lists_the_cards_clickable_components(dev):
    server, _ = dev
    result = click(server, stored(server), "nope", "--as", "ou_me")
    assert result.returncode == 1
    assert result.stderr == ("error: no component 'nope' on this card; the card's clickable components: approve, "
                             "lunch, sides, note, done, send, vote_a, broken\n")


@pytest.mark.parametrize("args, message", [
    (["lunch", "--option", "pizza"], "error: select_static has no option 'pizza'; its options: noodles, rice\n"),
    (["send", "--form", "mood=ok"], "error: the form of 'send' has no field 'mood'; its fields: reason, days\n"),
    (["approve", "--form", "reason=x"], "error: form values are for a form's submit button; 'approve' is a button\n"),
])
def test_choices_the_card_does_not_offer_are_refused(dev, args, message):
    server, _ = dev
    result = click(server, stored(server), *args, "--as", "ou_me")
    assert (result.returncode, result.stderr) == (1, message)


def test_a_malformed_form_pair_is_a_usage_error(dev):
    server, _ = dev
    result = click(server, stored(server), "send", "--form", "reason", "--as", "ou_me")
    assert result.returncode == 2 and "expected KEY=VALUE, not 'reason'" in result.stderr


def test_a_server_that_is_not_running_says_how_to_start_it(dev):
    server, _ = dev
    url = f"http://127.0.0.1:{free_port()}/lark/callback"
    result = server.cli("click", stored(server), "approve", "--as", "ou_me", "--url", url)
    assert result.returncode == 1
    assert result.stderr == f"error: nothing answers at {url}: start the bot with `python bot.py serve --dev` " \
                            "(or pass --url)\n"


def test_the_default_url_is_the_configured_port(tmp_path):
    port = free_port()
    (tmp_path / "plugins.toml").write_text(f'[bot]\ndatabase = "cardbot.db"\nport = {port}\n')
    env = server_environment({})
    put = subprocess.run([*BOT_COMMAND, "card", "put", "om_1", "-"], input=json.dumps(CARD), cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert put.returncode == 0, put.stderr
    result = subprocess.run([*BOT_COMMAND, "click", "om_1", "approve", "--as", "ou_me"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"nothing answers at http://127.0.0.1:{port}/lark/callback" in result.stderr
