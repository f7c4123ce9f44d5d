"""Notice a database file removed or replaced under a running process.

SQLite keeps writing to a file that was deleted (or renamed away) while it is open: every write would
succeed and vanish with the last connection. So the store remembers which file it opened and checks,
with one `stat`, before every write batch and in `/healthz`.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreBusy
from .faults import MISSING


class DatabaseFile:
    """The file the store opened at `path`: `check()` raises StoreBusy ("missing") once it is not there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        stat = os.stat(path)
        self._identity = (stat.st_dev, stat.st_ino)

    def check(self) -> None:
        """Raise StoreBusy with state "missing" when the path no longer names the file opened."""
        try:
            stat = os.stat(self.path)
        except OSError as error:
            raise StoreBusy(f"the database file {self.path} is gone ({error.strerror}); nothing can be stored "
                            f"until it is restored and the bot restarted", MISSING) from None
        if (stat.st_dev, stat.st_ino) != self._identity:
            raise StoreBusy(f"the database file {self.path} was replaced by another file; restart the bot to "
                            f"use the new one", MISSING)
