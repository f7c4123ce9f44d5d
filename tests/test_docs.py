"""The docs keep up with the code: one page per hook, titled with its current signature and linked from
the index, and every `[bot]` key documented in the admin guide."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from cardbot import hookspecs
from cardbot.config import BotSettings

DOCS = Path(__file__).resolve().parents[1] / "docs"
HOOK_PAGES = DOCS / "hooks"
SPEC_MARK = f"{hookspecs.PROJECT_NAME}_spec"  # the attribute pluggy's HookspecMarker sets

HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, SPEC_MARK))


def signature(name: str) -> str:
    """`cardbot_action(action, card, config, state, bot)`: the hook's name and argument names, in order."""
    return f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"


def title(page: Path) -> str:
    """The page's first `# ` heading."""
    return next(line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("# "))


def test_hooks_are_found():
    assert "cardbot_action" in HOOKS and "cardbot_claims" in HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_page_titled_with_its_signature(name):
    page = HOOK_PAGES / f"{name}.md"
    assert page.exists(), f"{name} is declared in core/hookspecs.py but docs/hooks/{name}.md is missing"
    shown = re.search(rf"{name}\([^)]*\)", title(page))
    assert shown and shown.group(0) == signature(name), (
        f"docs/hooks/{name}.md: the title must show {signature(name)}, not {title(page)!r}")


@pytest.mark.parametrize("name", HOOKS)
def test_the_index_links_every_hook_page(name):
    index = (HOOK_PAGES / "README.md").read_text(encoding="utf-8")
    assert f"]({name}.md)" in index, f"docs/hooks/README.md does not link {name}.md"


def test_no_page_for_a_hook_that_does_not_exist():
    pages = {page.stem for page in HOOK_PAGES.glob("*.md")} - {"README"}
    assert pages <= set(HOOKS), f"pages without a hook in core/hookspecs.py: {sorted(pages - set(HOOKS))}"


@pytest.mark.parametrize("key", [field.name for field in dataclasses.fields(BotSettings)])
def test_every_bot_key_is_documented(key):
    assert f"`{key}`" in (DOCS / "admin.md").read_text(encoding="utf-8"), f"[bot] {key} is not in docs/admin.md"
