"""BotServer never leaves processes behind: a failed start kills what it started, stop() ends the whole group,
and a 2-worker server stops cleanly (exit 0, no traceback, no shutdown hook run twice)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cardbot.testing import BotServer
from support import STANDARD_CONFIG, start_server

# A stand-in for `bot.py serve`: starts a child that ignores SIGTERM, then accepts connections on --port and
# never answers them (a /healthz too slow to answer is a ReadTimeout for the kit), or with FAKE_HEALTHY set
# answers each with 200. It exits on SIGTERM, leaving its child behind unless the kit kills the group.
FAKE_SERVER = """
import os, signal, socket, sys, time
port = int(sys.argv[sys.argv.index("--port") + 1])
if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(1)
listener = socket.create_server(("127.0.0.1", port))
print(f"Worker ready [{os.getpid()}]", flush=True)
held = []
while True:
    connection = listener.accept()[0]
    if os.environ.get("FAKE_HEALTHY"):
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok")
        connection.close()
    else:
        held.append(connection)
"""


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != b"Z":
                members.append(int(entry.name))
    return members


def fake_server(directory: Path, **env: str) -> BotServer:
    script = directory / "fake_serve.py"
    script.write_text(FAKE_SERVER, encoding="utf-8")
    return BotServer(directory, plugins_toml="", command=[sys.executable, str(script)], env=env)


def test_a_start_whose_healthz_never_answers_kills_every_process_it_started(tmp_path):
    server = fake_server(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="did not become healthy"):  # was: requests' ReadTimeout escaped
            server.start(timeout=3)
        assert server.process.poll() is not None
        assert group_members(server.process.pid) == []
    finally:
        server.kill()


def test_stop_leaves_no_process_of_the_group_behind(tmp_path):
    server = fake_server(tmp_path, FAKE_HEALTHY="1")
    try:
        server.start()
        pgid = server.process.pid
        assert len(group_members(pgid)) == 2
        server.stop()
        assert group_members(pgid) == []  # the child that ignored SIGTERM is gone too
    finally:
        server.kill()


def test_a_2_worker_server_stopped_right_after_start_exits_0_without_a_traceback(tmp_path):
    server = start_server(tmp_path, STANDARD_CONFIG, workers=2)
    assert server.stop() == 0  # was: a worker still starting missed the stop, and the kit killed the server
    log = server.log()
    assert log.count("Worker complete") == 2
    assert "Traceback" not in log and "thread pool is shut down" not in log
    assert group_members(server.process.pid) == []
