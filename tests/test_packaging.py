"""Every package in core/ and plugins/ is declared in pyproject.toml, or a clean install would miss it."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from support import ROOT


def test_every_package_is_declared():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    declared = set(settings["packages"])
    found = set()
    for installed_name, folder in settings["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((installed_name, *parts)))
    assert found == declared


def test_the_repository_folder_cannot_be_imported_as_core():
    result = subprocess.run([sys.executable, "-c", "import core"], cwd=ROOT, capture_output=True, text=True)
    assert "import cardbot, not core" in result.stderr
