"""`bot.py new-plugin NAME`: write a new plugin package into the current folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..scaffold import write_plugin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the plugin's name, as in [plugins.NAME] (lower case)")
    parser.add_argument("--directory", type=Path, default=None,
                        help="where to write the NAME folder (default: the current folder)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the package and say what to do next; exit 2 for a bad name or a folder already there."""
    try:
        folder = write_plugin(args.name, (args.directory or Path.cwd()).resolve())
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote the plugin {args.name!r} in {folder}\n"
          f"next: pip install -e {folder} && pytest {folder}   (cardbot itself from your team's source: "
          f"see {folder / 'README.md'})")
    return 0
