"""Which plugins load: plugins.toml turns them on, start-up refuses what is ambiguous or broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cardbot.testing import BotServer
from cardbot.testing.server import free_port, server_environment
from support import (BOT_COMMAND, ROOT, SECRETS, TEST_PLUGINS, assert_one_error_line, button_card, new_message_id,
                     put_card, show_card)

TEAM_PLUGIN_SOURCE = ROOT / "tests" / "fixtures" / "team-plugin"


@pytest.fixture(scope="session")
def team_plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The other team's plugin, really installed (pip, entry points and all) into its own folder."""
    target = tmp_path_factory.mktemp("team-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(TEAM_PLUGIN_SOURCE)],
        check=True, capture_output=True,
    )
    return target


def cli(tmp_path: Path, config: str, *args: str, pythonpath: tuple[Path, ...] = (),
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python bot.py ARGS --config` with a config file written to tmp_path (and `env` added)."""
    path = tmp_path / "plugins.toml"
    path.write_text(config, encoding="utf-8")
    env = server_environment({**SECRETS, **(env or {})}, (TEST_PLUGINS, *pythonpath))
    return subprocess.run([*BOT_COMMAND, *args, "--config", str(path)], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)


def serve_fails(tmp_path: Path, config: str, env: dict[str, str] | None = None) -> str:
    """Start-up must fail fast with exit status 2; returns what it printed."""
    result = cli(tmp_path, config, "serve", "--port", "1", env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stderr


ECHO = '[plugins.echo_sync]\nenabled = true\nmodule = "cardbot_testplugins.echo_sync"\n'
CONFLICTING = '[plugins.conflicting]\nenabled = true\nmodule = "cardbot_testplugins.conflicting"\n'


def test_two_plugins_claiming_one_button_type_stop_start_up_naming_both(tmp_path):
    message = serve_fails(tmp_path, ECHO + CONFLICTING)
    assert "button_type 'echo_sync' is claimed by 2 enabled plugins: 'echo_sync' and 'conflicting'" in message
    assert '[owners]\necho_sync = "echo_sync"' in message  # and how to settle it


CLAIMANTS = ('[plugins.a]\nenabled = true\nmodule = "cardbot_testplugins.claimant:A"\n'
             '[plugins.b]\nenabled = true\nmodule = "cardbot_testplugins.claimant:B"\n')


def claimants(a: object, b: object) -> dict[str, str]:
    return {"CARDBOT_CLAIMANT_A": json.dumps(a), "CARDBOT_CLAIMANT_B": json.dumps(b)}


@pytest.mark.parametrize("claim, expected, owners_key", [
    ({"names": ["expense_form"]}, "component name 'expense_form' is claimed by 2 enabled plugins: 'a' and 'b'",
     '"name:expense_form"'),
    ({"commands": ["poll"]}, "command 'poll' is claimed by 2 enabled plugins: 'a' and 'b'", '"command:poll"'),
    ({"events": ["im.chat.member.bot.added_v1"]},
     "event 'im.chat.member.bot.added_v1' is claimed by 2 enabled plugins: 'a' and 'b'",
     '"event:im.chat.member.bot.added_v1"'),
    ({"messages": True}, "the claim on chat messages (messages = True) is claimed by 2 enabled plugins: 'a' and 'b'",
     "messages"),
])
def test_a_clash_of_any_kind_stops_start_up_naming_both_and_owners_settles_it(tmp_path, claim, expected, owners_key):
    message = serve_fails(tmp_path, CLAIMANTS, claimants(claim, claim))
    assert expected in message
    assert f'[owners]\n{owners_key} = "a"' in message

    settled = CLAIMANTS + f'[owners]\n{owners_key} = "b"\n'
    listing = cli(tmp_path, settled, "plugins", "list", "--json", env=claimants(claim, claim))
    assert listing.returncode == 0, listing.stdout + listing.stderr
    owns = {row["name"]: row["owns"] for row in json.loads(listing.stdout)["plugins"]}
    assert owns["a"] == [] and owns["b"] == [owners_key.strip('"')]


def test_url_patterns_that_can_match_one_url_stop_start_up(tmp_path):
    message = serve_fails(tmp_path, CLAIMANTS, claimants({"url_patterns": ["https://tickets.example.com/*"]},
                                                         {"url_patterns": ["https://*.example.com/T-*"]}))
    assert ("URL patterns 'https://tickets.example.com/*' ('a') and 'https://*.example.com/T-*' ('b') can match "
            "the same URL") in message


def test_url_patterns_that_cannot_meet_and_claims_of_different_kinds_are_no_clash(tmp_path):
    result = cli(tmp_path, CLAIMANTS, "plugins", "list", env=claimants(
        {"url_patterns": ["https://tickets.example.com/*"], "button_types": ["x"], "commands": ["x"]},
        {"url_patterns": ["https://wiki.example.com/*"], "names": ["x"], "events": ["x.y_v1"], "messages": True}))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["a"].endswith("x, command:x, url:https://tickets.example.com/*")
    assert rows["b"].endswith("name:x, url:https://wiki.example.com/*, event:x.y_v1, messages")


@pytest.mark.parametrize("claims, problem", [
    ({"commands": ["Poll"]}, "command 'Poll' must be a lower-case word"),
    ({"events": ["im.message.receive_v1"]}, "event 'im.message.receive_v1' cannot be claimed as an event"),
    ({"url_patterns": ["tickets.example.com/*"]}, "must start with http://, https:// or *"),
    ({"colours": ["red"]}, "cardbot_claims returned unknown kind(s) 'colours'"),
    ({"messages": "yes"}, "cardbot_claims messages must be true or false"),
    (["command:poll"], "button_type 'command:poll' reads as another kind of claim"),
    ({"names": "form"}, "cardbot_claims must give names as a list of strings"),
])
def test_a_malformed_claim_stops_start_up_naming_the_plugin(tmp_path, claims, problem):
    message = serve_fails(tmp_path, CLAIMANTS, claimants(claims, []))
    assert "plugin 'a'" in message and problem in message


def test_a_claim_without_the_hook_that_handles_it_stops_start_up(tmp_path):
    config = '[plugins.picky]\nenabled = true\nmodule = "cardbot_testplugins.picky"\nlevel = 1\n' \
        '[plugins.lonely]\nenabled = true\nmodule = "cardbot_testplugins.lonely"\n'
    message = serve_fails(tmp_path, config)
    assert ("plugin 'lonely' claims commands but has no cardbot_command: nothing would handle them; "
            "implement cardbot_command or drop the claim") in message


def test_owners_table_settles_a_shared_claim(tmp_path):
    config = ECHO + CONFLICTING + '[owners]\necho_sync = "conflicting"\n'
    listing = json.loads(cli(tmp_path, config, "plugins", "list", "--json").stdout)
    owns = {row["name"]: row["owns"] for row in listing["plugins"]}
    assert owns["conflicting"] == ["echo_sync"] and owns["echo_sync"] == []


def test_owners_must_name_a_claimant(tmp_path):
    message = serve_fails(tmp_path, ECHO + '[owners]\necho_sync = "publish"\n')
    assert "[owners] echo_sync = 'publish', but 'publish' does not claim it" in message


def test_a_misspelt_hook_stops_start_up_with_a_suggestion(tmp_path):
    message = serve_fails(tmp_path, '[plugins.misspelt]\nenabled = true\nmodule = "cardbot_testplugins.misspelt"\n')
    assert "plugin 'misspelt': cardbot_actoin is not a cardbot hook (did you mean cardbot_action?)" in message


def test_a_missing_module_stops_start_up(tmp_path):
    message = serve_fails(tmp_path, '[plugins.ghost]\nenabled = true\nmodule = "no_such_module_here"\n')
    assert "plugin 'ghost': cannot load no_such_module_here (ModuleNotFoundError" in message


def test_an_enabled_plugin_that_exists_nowhere_stops_start_up(tmp_path):
    message = serve_fails(tmp_path, "[plugins.nowhere]\nenabled = true\n")
    assert "no plugin named 'nowhere' exists" in message


@pytest.mark.parametrize("config, expected", [
    ('[plugins.picky]\nenabled = true\nmodule = "cardbot_testplugins.picky"\nlevel = "high"\n',
     "[plugins.picky]: level must be an integer"),
    ("[plugins.publish]\nenabled = true\nwebhook = 42\n", "webhook must be an http:// or https:// URL"),
    ("[plugins.publish]\nenabled = true\ntimout = 3\n", "unknown setting(s) timout"),
    ("[plugins.publish]\nenabled = \"yes\"\n", "enabled must be true or false"),
    ("[bot]\nport = \"eighty\"\n", "[bot] port must be int"),
    ("[bot]\ndeadline = 5\n", "deadline must be under 3 seconds"),
    ("[bot]\ndatabse = \"x.db\"\n", "unknown key 'databse' in [bot]"),
    ("[bot\n", "is not valid TOML"),
])
def test_invalid_config_stops_start_up_with_a_clear_message(tmp_path, config, expected):
    assert expected in serve_fails(tmp_path, config)


def test_a_plugin_from_another_installed_package_is_off_until_named(tmp_path, team_plugin_site):
    listing = json.loads(cli(tmp_path, "", "plugins", "list", "--json", pythonpath=(team_plugin_site,)).stdout)
    team = next(row for row in listing["plugins"] if row["name"] == "team")
    assert team["state"] == "off"
    states = {row["name"]: row["state"] for row in listing["plugins"]}
    assert states["publish"] == states["vote"] == "off"  # bundled, but an empty plugins.toml turns nothing on
    assert team["source"] == "entry point (cardbot-team-plugin 1.2.3)"


def click_team_approve(server: BotServer, kit) -> tuple[str, dict]:
    """Store a card with a team_approve button, click it; returns (message id, answer)."""
    message_id = new_message_id()
    put_card(server, message_id, button_card("team_approve"))
    body, headers = kit.card_action_trigger(message_id=message_id,
                                            value={"button_type": "team_approve", "button_id": "b1"})
    return message_id, server.post("/lark/callback", body, headers).json()


def test_a_plugin_from_another_installed_package_handles_its_clicks(tmp_path, team_plugin_site, kit):
    config = '[bot]\ndatabase = "cardbot.db"\n[plugins.team]\nenabled = true\napprover_title = "lead"\n'
    with BotServer(tmp_path, plugins_toml=config, env=SECRETS, command=BOT_COMMAND,
                   extra_pythonpath=(team_plugin_site,)) as server:
        _, answer = click_team_approve(server, kit)
    assert answer["toast"]["content"] == "approved"
    replaced = answer["card"]["data"]["elements"][1]["actions"][0]
    assert replaced["text"]["content"].startswith("approved by lead ou_")


def test_an_installed_plugin_the_file_does_not_name_is_never_imported_nor_called(server_factory, team_plugin_site,
                                                                                  kit):
    server = server_factory('[bot]\ndatabase = "cardbot.db"\n[plugins.publish]\nenabled = true\n',
                            extra_pythonpath=(team_plugin_site,))
    message_id, answer = click_team_approve(server, kit)
    assert answer["toast"]["content"] == 'No plugin handles buttons of type "team_approve".'
    assert "card" not in answer
    assert show_card(server, message_id)["version"] == 1
    assert not (server.directory / "markers" / "team-imported").exists()


def test_plugins_list_shows_state_source_version_and_claims(tmp_path, team_plugin_site):
    config = ECHO + '[plugins.publish]\nenabled = true\n[plugins.offline]\nenabled = false\n' \
        'module = "cardbot_testplugins.offline"\n'
    result = cli(tmp_path, config, "plugins", "list", pythonpath=(team_plugin_site,))
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert result.stdout.splitlines()[0].split() == ["NAME", "STATE", "SOURCE", "VERSION", "CLAIMS"]
    assert rows["publish"].split()[1:3] == ["on", "bundled"] and rows["publish"].endswith("public_publish")
    assert "module cardbot_testplugins.echo_sync" in rows["echo_sync"] and rows["echo_sync"].endswith("echo_sync")
    assert rows["offline"].split()[1] == "off"
    assert rows["team"].split()[1] == "off" and "entry point (cardbot-team-plugin 1.2.3)" in rows["team"]


def test_plugins_list_reports_a_broken_plugin_on_its_own_row(tmp_path):
    config = ECHO + '[plugins.ghost]\nenabled = true\nmodule = "no_such_module_here"\n'
    result = cli(tmp_path, config, "plugins", "list")
    assert result.returncode == 1
    assert "ghost: plugin 'ghost': cannot load no_such_module_here" in result.stdout
    assert any(line.startswith("echo_sync") and " on " in line for line in result.stdout.splitlines())


def test_an_off_plugin_claiming_a_taken_button_type_is_no_conflict(tmp_path, kit):
    config = ECHO + CONFLICTING.replace("enabled = true", "enabled = false")
    with BotServer(tmp_path, plugins_toml='[bot]\ndatabase = "cardbot.db"\n' + config, env=SECRETS,
                   command=BOT_COMMAND, extra_pythonpath=(TEST_PLUGINS,)) as server:
        message_id = new_message_id()
        put_card(server, message_id, button_card("echo_sync"))
        body, headers = kit.card_action_trigger(message_id=message_id,
                                                value={"button_type": "echo_sync", "button_id": "b1"})
        assert server.post("/lark/callback", body, headers).json()["toast"]["content"].startswith("sync on")


def test_plugins_enable_and_disable_edit_the_file_and_keep_its_comments(tmp_path):
    config = "# our bot\n[bot]\ndatabase = \"cardbot.db\"  # beside this file\n\n" + ECHO.replace("true", "false")
    enabled = cli(tmp_path, config, "plugins", "enable", "echo_sync")
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout == "echo_sync: on (was off); restart the bot to apply\n"
    text = (tmp_path / "plugins.toml").read_text()
    assert "# our bot" in text and "# beside this file" in text and "enabled = true" in text
    listing = json.loads(cli(tmp_path, text, "plugins", "list", "--json").stdout)
    assert next(row for row in listing["plugins"] if row["name"] == "echo_sync")["state"] == "on"
    assert cli(tmp_path, text, "plugins", "disable", "echo_sync").returncode == 0
    assert "enabled = false" in (tmp_path / "plugins.toml").read_text()


def test_enabling_a_plugin_that_would_stop_start_up_is_refused_and_writes_nothing(tmp_path):
    config = ECHO + CONFLICTING.replace("true", "false")
    refused = cli(tmp_path, config, "plugins", "enable", "conflicting")
    assert refused.returncode == 2
    assert "not enabled, plugins.toml is unchanged" in refused.stderr and "claimed by 2 enabled plugins" in refused.stderr
    assert (tmp_path / "plugins.toml").read_text() == config


def test_enable_with_a_module_adds_the_table(tmp_path):
    result = cli(tmp_path, "[bot]\n", "plugins", "enable", "counter", "--module", "cardbot_testplugins.counter")
    assert result.returncode == 0, result.stderr
    assert 'module = "cardbot_testplugins.counter"' in (tmp_path / "plugins.toml").read_text()


def test_a_plugin_that_exits_while_imported_stops_start_up_with_one_error_line(tmp_path):
    result = cli(tmp_path, '[plugins.quitter]\nenabled = true\nmodule = "cardbot_testplugins.exit_at_import"\n',
                 "serve", "--port", "1")
    assert_one_error_line(result, "plugin 'quitter'", "cannot load cardbot_testplugins.exit_at_import",
                          "SystemExit: 4")


@pytest.mark.parametrize("flavour, raised", [("SYNC", "SystemExit: 5"), ("ASYNC", "SystemExit: no thanks")])
def test_a_plugin_that_exits_in_its_startup_hook_stops_start_up_with_one_error_line(tmp_path, flavour, raised):
    config = f'[plugins.quitter]\nenabled = true\nmodule = "cardbot_testplugins.exit_at_startup:{flavour}"\n'
    result = cli(tmp_path, config, "serve", "--port", str(free_port()))
    assert_one_error_line(result, "plugin 'quitter': cardbot_startup raised", raised)


@pytest.mark.parametrize("attribute, option, hook", [
    ("Wrapper", "wrapper", "cardbot_action"), ("OldWrapper", "hookwrapper", "cardbot_action"),
    ("First", "tryfirst", "cardbot_action"), ("Last", "trylast", "cardbot_claims"),
])
def test_pluggy_options_cardbot_does_not_honour_stop_start_up(tmp_path, attribute, option, hook):
    config = f'[plugins.opts]\nenabled = true\nmodule = "cardbot_testplugins.hook_options:{attribute}"\n'
    expected = f"plugin 'opts': {hook} is marked @hookimpl({option}=True), which cardbot does not support"
    listed = cli(tmp_path, config, "plugins", "list")
    assert listed.returncode == 1 and expected in listed.stdout  # was: "on", and every click then failed
    assert expected in serve_fails(tmp_path, config)


def test_a_worker_that_cannot_start_stops_a_multi_worker_server_with_one_error_line(tmp_path):
    config = '[plugins.quitter]\nenabled = true\nmodule = "cardbot_testplugins.exit_at_startup:SYNC"\n'
    result = cli(tmp_path, config, "serve", "--port", str(free_port()), "--workers", "2")
    assert_one_error_line(result, "plugin 'quitter': cardbot_startup raised SystemExit: 5")
