"""`plugins enable/disable` edit plugins.toml safely; a misspelt `enabled` or `module` is never silently ignored."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tomllib

from cardbot.testing.server import server_environment
from support import BOT_COMMAND, SECRETS, TEST_PLUGINS
from test_plugin_loading import cli, serve_fails

BASE = "# our bot\n[bot]\ndatabase = \"cardbot.db\"\n"
TEST_PLUGIN_NAMES = ("echo_sync", "echo_async", "counter", "zoo", "slow", "picky", "followup", "sync_sleep")


def test_concurrent_enables_lose_none(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(BASE, encoding="utf-8")
    env = server_environment(SECRETS, (TEST_PLUGINS,))
    edits = [subprocess.Popen([*BOT_COMMAND, "plugins", "enable", name, "--module", f"cardbot_testplugins.{name}",
                               "--config", str(path)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for name in TEST_PLUGIN_NAMES if name != "picky"]
    outcomes = [(edit.wait(60), edit.stderr.read()) for edit in edits]
    assert [code for code, _ in outcomes] == [0] * len(edits), outcomes
    listing = cli(tmp_path, path.read_text(encoding="utf-8"), "plugins", "list", "--json")
    states = {row["name"]: row["state"] for row in json.loads(listing.stdout)["plugins"]}
    assert all(states[name] == "on" for name in TEST_PLUGIN_NAMES if name != "picky"), states  # was: some lost
    assert path.read_text(encoding="utf-8").startswith("# our bot\n")


def test_an_edit_keeps_the_files_mode_and_owner(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text(BASE + "[plugins.publish]\nenabled = true\n", encoding="utf-8")
    os.chmod(path, 0o640)
    os.chown(path, 4321, 4322)  # the tests run as root, like a deploy that edits a service's config
    assert cli(tmp_path, path.read_text(), "plugins", "disable", "publish").returncode == 0
    os.chmod(path, 0o640)
    os.chown(path, 4321, 4322)
    result = subprocess.run([*BOT_COMMAND, "plugins", "enable", "vote", "--config", str(path)],
                            env=server_environment(SECRETS, (TEST_PLUGINS,)), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    status = path.stat()
    assert stat.S_IMODE(status.st_mode) == 0o640 and (status.st_uid, status.st_gid) == (4321, 4322)  # was 0600 root
    assert "[plugins.vote]\nenabled = true" in path.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".plugins.toml.")] == []


def test_a_symlinked_config_has_its_target_edited(tmp_path):
    real = tmp_path / "etc" / "plugins.toml"
    real.parent.mkdir()
    real.write_text(BASE, encoding="utf-8")
    link = tmp_path / "plugins.toml"
    link.symlink_to(real)
    result = subprocess.run([*BOT_COMMAND, "plugins", "enable", "vote", "--config", str(link)],
                            env=server_environment(SECRETS, (TEST_PLUGINS,)), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real
    assert "[plugins.vote]\nenabled = true" in real.read_text()


def test_disabling_a_name_that_is_neither_known_nor_in_the_file_is_an_error_with_a_suggestion(tmp_path):
    config = BASE + "[plugins.publish]\nenabled = true\n"
    result = cli(tmp_path, config, "plugins", "disable", "pubilsh")
    assert result.returncode == 2  # was 0, and a new [plugins.pubilsh] table
    assert "no plugin named 'pubilsh'" in result.stderr and "did you mean 'publish'?" in result.stderr
    assert (tmp_path / "plugins.toml").read_text() == config


def test_enabling_an_unknown_name_suggests_the_closest_one(tmp_path):
    result = cli(tmp_path, BASE, "plugins", "enable", "vtoe")
    assert result.returncode == 2 and "did you mean 'vote'?" in result.stderr
    assert (tmp_path / "plugins.toml").read_text() == BASE


def test_disabling_a_name_only_the_file_knows_still_works(tmp_path):
    config = BASE + "[plugins.gone]\nenabled = true\nmodule = \"no_such_module\"\n"
    assert cli(tmp_path, config, "plugins", "disable", "gone").returncode == 0
    assert tomllib.loads((tmp_path / "plugins.toml").read_text())["plugins"]["gone"]["enabled"] is False


def test_a_misspelt_enabled_is_refused_at_start_up_and_shown_by_plugins_list(tmp_path):
    config = BASE + "[plugins.echo_sync]\nenabeld = true\nmodule = \"cardbot_testplugins.echo_sync\"\nlabel = \"x\"\n"
    expected = "[plugins.echo_sync] has 'enabeld': did you mean 'enabled'?"
    assert expected in serve_fails(tmp_path, config)  # was: the server started with echo_sync silently off
    listed = cli(tmp_path, config, "plugins", "list")
    assert listed.returncode == 1 and expected in listed.stdout
    assert any(line.split()[:2] == ["echo_sync", "error"] for line in listed.stdout.splitlines())


def test_plugin_settings_with_other_names_are_the_plugins_own(tmp_path):
    config = BASE + "[plugins.picky]\nenabled = true\nmodule = \"cardbot_testplugins.picky\"\nlevel = 3\nmode = 1\n"
    listed = cli(tmp_path, config, "plugins", "list")
    assert "did you mean" not in listed.stdout + listed.stderr
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert any(line.split()[:2] == ["picky", "on"] for line in listed.stdout.splitlines()), listed.stdout
