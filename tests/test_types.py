"""The public API is typed for plugin authors (py.typed): mypy, run as a team would on its plugin, accepts
correct use of `Patch`, `Router` and `State` and catches a wrong toast type, a wrong argument and a typo."""

from __future__ import annotations

import subprocess
import sys

from support import ROOT

GOOD = '''
from cardbot import Action, Patch, Router, State

router = Router()


@router.click("x", button_id="go")
def go(action: Action, state: State) -> Patch:
    state.card.set("by", action.operator.id)
    return Patch.element("status").merge({"content": "done"}).toast("success", "Done", {"zh_cn": "好"})
'''

BAD = '''
from cardbot import Patch

a = Patch.toast("sucess", "Done")
b = Patch.element("status").merge("not a dict")
c = Patch.elemnt("status")
'''


def mypy(tmp_path, source: str) -> subprocess.CompletedProcess:
    plugin = tmp_path / "team_plugin.py"
    plugin.write_text(source, encoding="utf-8")
    config = tmp_path / "mypy.ini"
    config.write_text(f"[mypy]\nmypy_path = {ROOT / '.mypy-path'}\nignore_missing_imports = True\n"
                      f"cache_dir = {tmp_path / 'cache'}\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(config), str(plugin)],
                          capture_output=True, text=True, timeout=300)


def test_correct_use_type_checks_and_mistakes_are_caught(tmp_path):
    good = mypy(tmp_path, GOOD)
    assert good.returncode == 0, good.stdout

    bad = mypy(tmp_path, BAD)
    assert bad.returncode == 1, bad.stdout
    assert 'Argument 1 has incompatible type "Literal[\'sucess\']"' in bad.stdout
    assert 'Argument 1 to "merge" of "ElementTarget" has incompatible type "str"; expected "dict' in bad.stdout
    assert '"type[Patch]" has no attribute "elemnt"' in bad.stdout
