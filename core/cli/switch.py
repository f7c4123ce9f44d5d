"""`bot.py plugins enable NAME [--module M]` / `plugins disable NAME`: edit plugins.toml, keeping its comments.

Enabling is refused (nothing written) when the bot could not start with the result: a clash over a
button_type, a plugin that cannot load, a bad setting. The running bot picks the change up on restart.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import tomlkit

from ..config import load_config, parse_config
from ..errors import ConfigError
from ..registry import load_plugins


def add_arguments(parser: argparse.ArgumentParser, *, enable: bool) -> None:
    parser.add_argument("name", metavar="NAME", help="the plugin's name (its [plugins.NAME] table)")
    if enable:
        parser.add_argument("--module", help="load it from this module (pkg.mod) instead of by name")
    parser.set_defaults(run=run, enable=enable)


def run(args: argparse.Namespace) -> int:
    """Switch the plugin on or off in the config file; print what changed."""
    path: Path = args.config
    load_config(path)  # the file as it is must be valid before we touch it
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    plugins = document.setdefault("plugins", tomlkit.table(is_super_table=True))
    table = plugins.setdefault(args.name, tomlkit.table())
    was = bool(table.get("enabled", False))
    table["enabled"] = args.enable
    if args.enable and args.module:
        table["module"] = args.module
    if args.enable:
        try:
            load_plugins(parse_config(document.unwrap(), path))
        except ConfigError as error:
            raise ConfigError(f"not enabled, {path.name} is unchanged: {error}") from None
    _write(path, tomlkit.dumps(document).rstrip("\n") + "\n")
    state = "on" if args.enable else "off"
    print(f"{args.name}: {state}" + ("" if was == args.enable else f" (was {'on' if was else 'off'}); "
                                      "restart the bot to apply"))
    return 0


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a crash never leaves half a config."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)
