"""`card put` / `card show`: JSON only on stdout, clear errors, and `python bot.py` from any directory."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support import BOT_COMMAND, SECRETS, TEST_PLUGINS, seed_card
from cardbot.testing.server import server_environment

CONFIG = '[bot]\ndatabase = "data/cards.db"\n[plugins.publish]\nenabled = true\n'


def run(cwd, *args, stdin=None, pythonpath=(), database=None):
    """The CLI in `cwd`; `database`: a PostgreSQL URL it uses instead of the config's SQLite file."""
    env = {**SECRETS, **({"CARDBOT_DATABASE": database} if database else {})}
    return subprocess.run([*BOT_COMMAND, *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                          env=server_environment(env, (TEST_PLUGINS, *pythonpath)), timeout=60)


def entry_point_site(directory: Path, name: str) -> Path:
    """A folder that, on PYTHONPATH, makes an installed distribution offer a `cardbot` entry point `name`."""
    info = directory / f"{name}_dist-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-dist\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[cardbot]\n{name} = {name}_module\n", encoding="utf-8")
    return directory


def test_put_then_show_with_history(tmp_path, database_url):
    config = tmp_path / "plugins.toml"
    config.write_text(CONFIG)
    card_file = tmp_path / "card.json"
    card_file.write_text(json.dumps(seed_card(), ensure_ascii=False), encoding="utf-8")

    put = run(tmp_path, "card", "put", "om_1", str(card_file), "--config", str(config), database=database_url)
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout) == {"message_id": "om_1", "version": 1}
    # [bot] database is relative to the config file (unless CARDBOT_DATABASE names another)
    assert (tmp_path / "data" / "cards.db").exists() is (database_url is None)

    shown = run(tmp_path, "card", "show", "om_1", "--history", "--config", str(config), database=database_url)
    data = json.loads(shown.stdout)  # stdout is nothing but JSON
    assert data["message_id"] == "om_1" and data["version"] == 1 and data["card"] == seed_card()
    assert len(data["history"]) == 1
    assert data["history"][0]["made_by"] == "put"
    assert data["history"][0]["patch"]["ops"] == [{"op": "replace", "card": seed_card()}]


def test_putting_a_card_again_makes_a_new_version(tmp_path, database_url):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    for version in (1, 2):
        result = run(tmp_path, "card", "put", "om_2", "-", "--config", "plugins.toml", stdin=json.dumps({"elements": []}),
                     database=database_url)
        assert json.loads(result.stdout)["version"] == version


def test_show_of_an_unknown_message_exits_1_with_a_message(tmp_path, database_url):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    stored = run(tmp_path, "card", "put", "om_other", "-", "--config", "plugins.toml", stdin=json.dumps(seed_card()),
                 database=database_url)
    assert stored.returncode == 0, stored.stderr
    result = run(tmp_path, "card", "show", "om_missing", "--config", "plugins.toml", database=database_url)
    assert result.returncode == 1 and result.stdout == ""
    assert "no card stored for message om_missing" in result.stderr


def test_put_refuses_what_is_not_a_card(tmp_path):
    (tmp_path / "plugins.toml").write_text(CONFIG)
    not_json = run(tmp_path, "card", "put", "om_3", "-", "--config", "plugins.toml", stdin="{oops")
    assert not_json.returncode == 2 and "is not JSON" in not_json.stderr
    too_big = json.dumps({"elements": [{"tag": "div", "text": {"tag": "plain_text", "content": "x" * 40_000}}]})
    invalid = run(tmp_path, "card", "put", "om_3", "-", "--config", "plugins.toml", stdin=too_big)
    assert invalid.returncode == 2 and "is not a valid card" in invalid.stderr and "30720" in invalid.stderr
    missing = run(tmp_path, "card", "put", "om_3", "nope.json", "--config", "plugins.toml")
    assert missing.returncode == 2 and "cannot read nope.json" in missing.stderr


def test_bot_py_finds_its_own_plugins_toml_from_any_directory(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    site = entry_point_site(tmp_path / "site", "aaa_team")  # another team's plugin, installed, sorted first
    result = run(elsewhere, "plugins", "list", pythonpath=(site,))
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[1:] if line.strip()}
    assert rows["publish"][:3] == ["publish", "on", "bundled"]  # read from the plugins.toml beside bot.py
    assert rows["aaa_team"][:4] == ["aaa_team", "off", "entry", "point"]


def test_a_missing_config_file_is_named(tmp_path):
    result = run(tmp_path, "card", "show", "om_1", "--config", "absent.toml")
    assert result.returncode == 2 and "config file not found" in result.stderr and "absent.toml" in result.stderr
