"""`bot.py new-plugin NAME`: write a plugin package that installs, loads and passes its tests as it is.

    write_plugin("demo", Path.cwd())     # ./demo/: pyproject.toml, README.md, cardbot_demo/, tests/

The files are those in `template/`: each `*.tmpl` with `$name`, `$package` and `$distribution` filled in (and
its `.tmpl` dropped), the others copied as they are.
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
PACKAGE_FOLDER = "package"
"""The template folder that becomes the plugin's import package, `cardbot_<name>`."""
TEMPLATE_SUFFIX = ".tmpl"
"""Files filled in as templates (so that no tool reads a template as Python); others are copied as they are."""


def write_plugin(name: str, where: Path) -> Path:
    """Write the package of plugin `name` into `where/name`; returns that folder. ValueError for a name that
    cannot be a plugin's (lower case, a letter then letters, digits or _) or a folder already there."""
    if not NAME.fullmatch(name):
        raise ValueError(f"{name!r} cannot name a plugin: use a lower-case word (a letter, then letters, digits "
                         f"or _, at most 40), as it appears in [plugins.NAME]")
    target = where / name
    if target.exists():
        raise ValueError(f"{target} exists already; choose another name or remove it")
    values = {"name": name, "package": f"cardbot_{name}", "distribution": f"cardbot-{name.replace('_', '-')}"}
    for source, relative in _template_files(files(__package__).joinpath("template"), Path()):
        destination = target / _renamed(relative, values)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if relative.suffix == TEMPLATE_SUFFIX:
            destination.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        else:
            destination.write_bytes(source.read_bytes())
    return target


def _template_files(folder: Traversable, relative: Path) -> list[tuple[Traversable, Path]]:
    found = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found += _template_files(entry, relative / entry.name)
        else:
            found.append((entry, relative / entry.name))
    return found


def _renamed(relative: Path, values: dict[str, str]) -> Path:
    """The template path as written: `package/` becomes the import package, `test_plugin.py` `test_NAME.py`."""
    parts = [values["package"] if part == PACKAGE_FOLDER else part for part in relative.parts]
    parts[-1] = parts[-1].removesuffix(TEMPLATE_SUFFIX)
    if parts[-1] == "test_plugin.py":
        parts[-1] = f"test_{values['name']}.py"
    return Path(*parts)
