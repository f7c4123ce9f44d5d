"""The example plugin packages in examples/: each installed as a team would install it (its own package,
found by its entry point), its own tests run and passing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from support import ROOT, environment_beside_cardbot, pip_install

EXAMPLES = sorted(path for path in (ROOT / "examples").iterdir() if (path / "pyproject.toml").is_file())


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_an_example_passes_its_own_tests_once_installed(tmp_path: Path, example: Path):
    python = environment_beside_cardbot(tmp_path / "venv")
    pip_install(python, str(example), cwd=tmp_path)  # a plain install: what it ships must be declared

    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(example / "tests")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_there_is_an_example():
    assert [path.name for path in EXAMPLES] == ["expenses"]


def test_cardbots_plugin_tests_stay_green_with_other_plugins_installed(tmp_path: Path):
    """Installed plugin packages (entry points cardbot finds but leaves off) change nothing for cardbot's own
    tests of loading, listing and switching plugins."""
    python = environment_beside_cardbot(tmp_path / "venv")
    for example in EXAMPLES:
        pip_install(python, str(example), cwd=tmp_path)
    (tmp_path / "plugins.toml").write_text("", encoding="utf-8")
    listed = subprocess.run([str(python), str(ROOT / "bot.py"), "plugins", "list", "--json", "--config",
                             str(tmp_path / "plugins.toml")], capture_output=True, text=True, timeout=60)
    assert {"expenses"} <= {row["name"] for row in json.loads(listed.stdout)["plugins"]}, listed.stderr

    result = subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0",
                             "tests/test_plugin_loading.py", "tests/test_admin_edits.py", "-k", "not postgres"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
