"""A dead worker never leaves a half-dead server: it is replaced, and when workers keep dying the server exits 1."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import requests

from support import button_card, new_message_id, put_card, show_card

CONFIG = """
[bot]
database = "cardbot.db"
host_timeout = 2

[plugins.slow]
enabled = true
module = "cardbot_testplugins.slow"

[plugins.echo_sync]
enabled = true
module = "cardbot_testplugins.echo_sync"
"""


def worker_pids(main_pid: int) -> set[int]:
    """The pids of the main process's children that are Sanic server workers (not its multiprocessing manager)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError):
            continue
        if int(stat[1]) == main_pid and stat[0] not in (b"Z", b"X") and any(
                var.startswith(b"SANIC_WORKER_NAME=Sanic-Server-") for var in environ):
            pids.add(int(entry.name))
    return pids


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def click(server, kit, message_id: str, value: dict, timeout: float = 10.0) -> requests.Response:
    body, headers = kit.card_action_trigger(message_id=message_id, value=value)
    return server.post("/lark/callback", body, headers, timeout=timeout)


def healthy(server) -> bool:
    try:
        return server.session.get(server.base_url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_killed_workers_are_replaced_and_their_running_click_is_recorded_interrupted(server_factory, kit):
    server = server_factory(CONFIG, workers=2)
    main_pid = server.process.pid
    first = wait_for(lambda: len(worker_pids(main_pid)) == 2 and worker_pids(main_pid), 30, "two workers")
    slow_message = new_message_id()
    put_card(server, slow_message, button_card("slow", seconds=600))
    answer = click(server, kit, slow_message, {"button_type": "slow", "button_id": "b1", "seconds": 600})
    assert answer.json().get("toast", {}).get("type") == "info", answer.json()  # "processing": the plugin runs on in its worker

    for pid in first:  # every worker at once: today nothing answers any more
        os.kill(pid, signal.SIGKILL)

    replaced = wait_for(lambda: len(pids := worker_pids(main_pid)) == 2 and not pids & first and pids, 60,
                        "two replacement workers")
    wait_for(lambda: healthy(server), 60, "/healthz to answer again")
    message_id = new_message_id()
    put_card(server, message_id, button_card("echo_sync"))
    response = click(server, kit, message_id, {"button_type": "echo_sync", "button_id": "b1"})
    assert response.status_code == 200 and response.json()["toast"]["type"] == "success"
    assert server.process.poll() is None and worker_pids(main_pid) == replaced
    wait_for(lambda: show_card(server, slow_message, history=True)["clicks"][0]["status"] == "interrupted", 15,
             "the killed worker's click to be recorded interrupted (host_timeout)")
    log = server.log()
    assert log.count("died (killed by SIGKILL); starting a replacement") == 2
    assert "click(s) were interrupted by a stop or crash" in log

    # Workers that keep dying: after 5 deaths within a minute the whole server stops with exit status 1.
    while server.process.poll() is None:
        pids = wait_for(lambda: server.process.poll() is not None or len(worker_pids(main_pid)) == 2
                        and worker_pids(main_pid), 60, "replacement workers or the server's exit")
        if pids is True:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_for(lambda: server.process.poll() is not None or not worker_pids(main_pid) & pids, 30,
                 "the killed workers to go")
    assert server.process.wait(30) == 1
    assert "worker deaths within 60 s, so the server stops with exit status 1" in server.log()
    assert not worker_pids(main_pid)
