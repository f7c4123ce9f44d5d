"""`bot.py plugins list [--json]`: every known plugin, on or off, where it comes from, what it owns."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..config import load_config
from ..registry.inventory import Inventory, take_inventory

COLUMNS = ("NAME", "STATE", "SOURCE", "VERSION", "CLAIMS")


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(run=list_plugins)


def list_plugins(args: argparse.Namespace) -> int:
    """Print the inventory; exit 1 when an enabled plugin cannot load or claims clash (start-up would fail)."""
    inventory = take_inventory(load_config(args.config))
    if args.json:
        print(json.dumps({"plugins": [asdict(row) for row in inventory.rows], "problems": inventory.problems},
                         ensure_ascii=False, indent=2))
    else:
        print(format_table(inventory))
    broken = inventory.problems or any(row.state == "error" for row in inventory.rows)
    return 1 if broken else 0


def format_table(inventory: Inventory) -> str:
    """The inventory as an aligned text table, followed by any problems."""
    lines = [COLUMNS]
    for row in inventory.rows:
        claims = ", ".join(
            claim if claim in row.owns or row.state != "on" else f"{claim} (not owner)" for claim in row.claims
        )
        lines.append((row.name, row.state, row.source, row.version or "-", claims or "-"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    text = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    for row in inventory.rows:
        if row.problem:
            text.append(f"\n{row.name}: {row.problem}")
    text.extend(f"\nproblem: {problem}" for problem in inventory.problems)
    return "\n".join(text)
