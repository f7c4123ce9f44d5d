"""Read-only access from any thread: one SQLite connection per thread, never blocked by writers (WAL)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .schema import connect


class ReadConnections:
    """Hands each thread its own connection to the database at `path`."""

    def __init__(self, path: Path, *, busy_timeout: float = 2.0) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """The calling thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._path, busy_timeout=self._busy_timeout)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection handed out."""
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
