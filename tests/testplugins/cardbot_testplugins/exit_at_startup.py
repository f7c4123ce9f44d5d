"""Plugins whose cardbot_startup ends the process: `SYNC` (plain) and `ASYNC` (async def)."""

import sys

from cardbot import hookimpl


class SYNC:
    @staticmethod
    @hookimpl
    def cardbot_startup():
        sys.exit(5)


class ASYNC:
    @staticmethod
    @hookimpl
    async def cardbot_startup():
        raise SystemExit("no thanks")
