"""Notice a database file removed, replaced or damaged under a running process.

SQLite keeps writing to a file that was deleted (or renamed away) while it is open: every write would
succeed and vanish with the last connection. So the store remembers which file it opened and checks,
with one `stat`, before every write batch and in `/healthz`. A file found damaged stays refused too:
writing on would spread the damage, and it does not heal; it has to be restored and the bot restarted.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreBusy
from .faults import MALFORMED, MISSING


class NoFileCheck:
    """Stands in for DatabaseFile where no file is watched (a writer on connections a test opened)."""

    def found(self, fault: StoreBusy) -> None:
        """Nothing to remember."""

    def check(self) -> None:
        """Nothing to check."""


NO_FILE_CHECK = NoFileCheck()


class DatabaseFile:
    """The file the store opened at `path`: `check()` raises StoreBusy once it is not there ("missing")
    or was found damaged ("malformed")."""

    def __init__(self, path: Path) -> None:
        self.path = path
        stat = os.stat(path)
        self._identity = (stat.st_dev, stat.st_ino)
        self._damage: StoreBusy | None = None

    def found(self, fault: StoreBusy) -> None:
        """A write failed with `fault`: one that shows the file damaged refuses every later write."""
        if fault.state == MALFORMED and self._damage is None:
            self._damage = StoreBusy(f"{fault}; restore the database from a backup and restart the bot", MALFORMED)

    def check(self) -> None:
        """Raise StoreBusy when the path no longer names the file opened, or the file was found damaged."""
        if self._damage is not None:
            raise self._damage
        try:
            stat = os.stat(self.path)
        except OSError as error:
            raise StoreBusy(f"the database file {self.path} is gone ({error.strerror}); nothing can be stored "
                            f"until it is restored and the bot restarted", MISSING) from None
        if (stat.st_dev, stat.st_ino) != self._identity:
            raise StoreBusy(f"the database file {self.path} was replaced by another file; restart the bot to "
                            f"use the new one", MISSING)
