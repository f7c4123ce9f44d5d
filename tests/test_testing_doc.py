"""docs/testing.md is true: its end-to-end example runs as written (with approve.py from plugins.md), and its
reference tables name every public member of the harness, BotServer and the pytest plugin's fixtures."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys

import pytest

from cardbot.testing import BotServer, ClickResult, Harness, MessageResult, pytest_plugin
from support import ROOT

TESTING_MD = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
PLUGINS_MD = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def block_after(text: str, heading: str) -> str:
    """The first ```python block after `heading` in `text`."""
    rest = text[text.index(heading):]
    return re.search(r"```python\n(.*?)^```$", rest, flags=re.MULTILINE | re.DOTALL).group(1)


def table_rows(section: str) -> str:
    """The text of the markdown table rows of the section headed `section`."""
    rest = TESTING_MD[TESTING_MD.index(section):]
    rest = rest[:rest.index("\n## ", 1)] if "\n## " in rest[1:] else rest
    return "\n".join(line for line in rest.splitlines() if line.startswith("| `"))


def public_members(cls: type) -> set[str]:
    return {name for name, member in vars(cls).items() if not name.startswith("_")
            and (callable(member) or isinstance(member, property))}


def test_the_end_to_end_example_runs_as_written(tmp_path):
    (tmp_path / "approve.py").write_text(block_after(PLUGINS_MD, "The plugin, `approve.py`:"), encoding="utf-8")
    (tmp_path / "test_approve.py").write_text(block_after(TESTING_MD, "## End to end with BotServer"),
                                              encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


@pytest.mark.parametrize("cls, section", [(Harness, "## The harness"), (BotServer, "## BotServer")],
                         ids=["Harness", "BotServer"])
def test_every_public_member_is_in_its_table(cls, section):
    rows = table_rows(section)
    missing = [name for name in sorted(public_members(cls)) if f"`{name}" not in rows and f"/ `{name}" not in rows
               and f", `{name}`" not in rows]
    assert not missing, f"docs/testing.md {section} does not document {missing}"


def test_the_result_types_are_described():
    for cls in (ClickResult, MessageResult):
        for name in [*cls.__dataclass_fields__, *(n for n, m in vars(cls).items() if isinstance(m, property))]:
            assert f"`{name}`" in TESTING_MD, f"docs/testing.md does not describe {cls.__name__}.{name}"


def test_every_fixture_is_in_the_table():
    fixtures = [name for name, member in inspect.getmembers(pytest_plugin) if name.startswith("cardbot_")
                and callable(member)]
    rows = table_rows("## The pytest plugin")
    assert sorted(fixtures) == ["cardbot_harness", "cardbot_lark", "cardbot_lark_platform", "cardbot_server"]
    assert all(f"| `{name}` |" in rows for name in fixtures)
