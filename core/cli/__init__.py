"""The command line: `python bot.py [serve|card|plugins] …` (also `cardbot …` and `python -m cardbot …`)."""

from .main import main

__all__ = ["main"]
