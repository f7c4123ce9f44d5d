"""`bot.py new-plugin NAME` writes a package whose tests pass right after `pip install -e NAME` and after a
plain `pip install NAME` (its card template is package data, declared), loaded by its entry point."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from support import BOT_COMMAND, environment_beside_cardbot, pip_install

def new_plugin(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*BOT_COMMAND, "new-plugin", *args], cwd=where, capture_output=True, text=True,
                          timeout=60)


def install_and_test(tmp_path: Path, *install: str) -> subprocess.CompletedProcess:
    python = environment_beside_cardbot(tmp_path / "venv")
    pip_install(python, *install, cwd=tmp_path)
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "demo"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("install", [["-e", "demo"], ["./demo"]], ids=["editable", "plain"])
def test_a_new_plugin_passes_its_tests_once_installed(tmp_path, install):
    written = new_plugin(tmp_path, "demo")
    assert written.returncode == 0, written.stderr
    assert f"pip install -e {tmp_path / 'demo'}" in written.stdout
    assert (tmp_path / "demo" / "cardbot_demo" / "cards" / "hello.json").is_file()

    result = install_and_test(tmp_path, *install)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_readme_says_to_install_cardbot_from_the_teams_source(tmp_path):
    new_plugin(tmp_path, "demo")
    readme = (tmp_path / "demo" / "README.md").read_text()
    assert "pip install -e /path/to/your/cardbot" in readme
    assert "never by name from a package index" in readme
    assert "dependencies = []" in (tmp_path / "demo" / "pyproject.toml").read_text()


def test_a_bad_name_or_a_folder_already_there_is_refused(tmp_path):
    assert new_plugin(tmp_path, "demo").returncode == 0
    again = new_plugin(tmp_path, "demo")
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = new_plugin(tmp_path, "My-Plugin")
    assert bad.returncode == 2 and "'My-Plugin' cannot name a plugin: use a lower-case word" in bad.stderr
    assert not (tmp_path / "My-Plugin").exists()
