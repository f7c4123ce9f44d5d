"""`bot.py new-plugin NAME` writes a package whose tests pass right after `pip install -e NAME` and after a
plain `pip install NAME` (its card template is package data, declared), loaded by its entry point."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from support import BOT_COMMAND

CARDBOT_SITE = sysconfig.get_paths()["purelib"]
"""Where this run's cardbot and its dependencies are installed: each new environment below sees them."""


def new_plugin(where: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*BOT_COMMAND, "new-plugin", *args], cwd=where, capture_output=True, text=True,
                          timeout=60)


def environment_beside_cardbot(folder: Path) -> Path:
    """A new virtual environment that also sees this run's packages (cardbot installed from its source, as the
    README says), so installing the plugin there leaves this run's environment as it was; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "cardbot_beside.pth").write_text(f"import site; site.addsitedir({CARDBOT_SITE!r})\n")
    return python


def install_and_test(tmp_path: Path, *install: str) -> subprocess.CompletedProcess:
    python = environment_beside_cardbot(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", *install], cwd=tmp_path, check=True, capture_output=True)
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
