"""Tell whether the process that wrote a lease or started a delivery still runs (crash recovery).

A token is `host:pid:start`, where `start` is the process start time from /proc (so a recycled pid
does not look alive). A token from another host cannot be checked and counts as alive.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache


def _stat_fields(pid: int) -> list[bytes]:
    """/proc/PID/stat after the command name (which may hold spaces and parentheses): state is [0]."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _start_time(pid: int) -> str:
    fields = _stat_fields(pid)
    return fields[19].decode() if len(fields) > 19 else "0"


@lru_cache(maxsize=1)
def _host() -> str:
    return socket.gethostname()


def process_token() -> str:
    """The token of the calling process."""
    return _token_for(os.getpid())


@lru_cache(maxsize=8)
def _token_for(pid: int) -> str:
    return f"{_host()}:{pid}:{_start_time(pid)}"


def is_alive(token: str | None) -> bool:
    """False only when `token` names a process on this host that has ended."""
    if not token:
        return False
    host, _, rest = token.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != _host():
        return True
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except ValueError:
        return False
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _stat_fields(pid)
    if fields and fields[0] in (b"Z", b"X"):  # killed, not yet reaped: it will never finish its click
        return False
    return start == "0" or (fields[19].decode() if len(fields) > 19 else "0") == start
