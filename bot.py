#!/usr/bin/env python3
"""cardbot's command line: `python bot.py` serves; `python bot.py --help` lists every command."""

from pathlib import Path

from cardbot.cli import main

if __name__ == "__main__":
    raise SystemExit(main(script_dir=Path(__file__).resolve().parent))
