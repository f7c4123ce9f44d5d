"""Helpers shared by the integration tests: real server processes, Lark-built callbacks, the seed card,
and reading the database behind a server. (Fixtures are in conftest.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import sqlite3
import subprocess
import sys
import sysconfig
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import pytest

from cardbot.config import load_config
from cardbot.protocol.crypto import decrypt
from cardbot.store import Store, open_store
from cardbot.testing import BotServer

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[1]
BOT_PY = ROOT / "bot.py"
TEST_PLUGINS = ROOT / "tests" / "testplugins"
VERIFICATION_TOKEN = "test-verification-token"
ENCRYPT_KEY = "test-encrypt-key"
SECRETS = {"LARK_VERIFICATION_TOKEN": VERIFICATION_TOKEN, "LARK_ENCRYPT_KEY": ENCRYPT_KEY}
BOT_COMMAND = [sys.executable, str(BOT_PY)]
SEED_BUTTON = {"button_type": "public_publish", "button_id": "1626958617426"}
SEED_CARD: dict[str, Any] = {
    "i18n_elements": {
        "zh_cn": [
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": "完成「全量发布」"},
                        "value": SEED_BUTTON,
                        "type": "primary",
                    }
                ],
            }
        ]
    }
}
DONE_ELEMENTS = [{"tag": "div", "fields": [{"is_short": False, "text": {"tag": "lark_md", "content": "已完成"}}]}]

STANDARD_CONFIG = """
[bot]
database = "cardbot.db"
log_level = "DEBUG"

[plugins.publish]
enabled = true

[plugins.echo_sync]
enabled = true
module = "cardbot_testplugins.echo_sync"
label = "pressed"

[plugins.echo_async]
enabled = true
module = "cardbot_testplugins.echo_async"

[plugins.counter]
enabled = true
module = "cardbot_testplugins.counter"

[plugins.zoo]
enabled = true
module = "cardbot_testplugins.zoo"

[plugins.offline]
enabled = false
module = "cardbot_testplugins.offline"
"""


def new_message_id() -> str:
    """A fresh om_… id, so tests sharing a server never touch each other's cards."""
    return f"om_{uuid.uuid4().hex[:16]}"


def button_card(button_type: str, button_id: str = "b1", *, shared: bool = True, **value: Any) -> dict:
    """A JSON 1.0 card with one button whose value routes to `button_type`."""
    return {
        "config": {"update_multi": shared},
        "elements": [
            {"tag": "div", "text": {"tag": "plain_text", "content": "hello"}},
            {"tag": "action", "actions": [
                {"tag": "button", "text": {"tag": "plain_text", "content": "Go"},
                 "value": {"button_type": button_type, "button_id": button_id, **value}},
            ]},
        ],
    }


def seed_card() -> dict:
    """A private copy of the seed document's card."""
    return copy.deepcopy(SEED_CARD)


def start_server(directory: Path, plugins_toml: str, *, env: dict[str, str] | None = None, workers: int = 1,
                 dev: bool = False, extra_pythonpath: tuple[Path, ...] = (), database: str | None = None) -> BotServer:
    """Start `python bot.py serve` with the test plugins importable; the marker dir catches stray imports.
    `database`: a PostgreSQL URL the server (and its CLI) uses instead of its config's SQLite file."""
    marker_dir = directory / "markers"
    marker_dir.mkdir(parents=True, exist_ok=True)
    environment = {**(SECRETS if env is None else env), "CARDBOT_TEST_MARKER_DIR": str(marker_dir)}
    if database is not None:
        environment["CARDBOT_DATABASE"] = database
    server = BotServer(directory, plugins_toml=plugins_toml, env=environment, workers=workers, dev=dev,
                       command=BOT_COMMAND, extra_pythonpath=(TEST_PLUGINS, *extra_pythonpath))
    return server.start()


def put_card(server: BotServer, message_id: str, card: dict) -> int:
    """Store `card` with `python bot.py card put`; returns the version."""
    result = server.cli("card", "put", message_id, "-", stdin=json.dumps(card, ensure_ascii=False))
    assert result.returncode == 0, result.stderr
    return result.json()["version"]


def show_card(server: BotServer, message_id: str, *, history: bool = False) -> dict:
    """`python bot.py card show` as parsed JSON."""
    args = ["card", "show", message_id, *(["--history"] if history else [])]
    result = server.cli(*args)
    assert result.returncode == 0, result.stderr
    return result.json()


def server_database(server: BotServer) -> Path | str:
    """The database `server` uses: its CARDBOT_DATABASE (a PostgreSQL test database), else its config's file."""
    return server.env.get("CARDBOT_DATABASE") or load_config(server.config_path).bot.database


def read_store(server: BotServer, read: Callable[[Store], Awaitable[T]], *, read_only: bool = True) -> T:
    """`await read(store)` on `server`'s database, opened (read-only) through cardbot's own storage interface."""
    async def run() -> T:
        settings = replace(load_config(server.config_path).bot, database=server_database(server))
        async with await open_store(settings, read_only=read_only) as store:
            return await read(store)

    return asyncio.run(run())


def put_state(server: BotServer, plugin: str, message_id: str, values: dict[str, Any]) -> None:
    """Store a plugin's state for one card directly (a test's starting point), through cardbot's store."""
    async def write(store: Store) -> None:
        await store.put_state(plugin, message_id, {key: json.dumps(value) for key, value in values.items()})
    read_store(server, write, read_only=False)


def serving_processes(server: BotServer, message_id: str) -> set[str]:
    """The tokens of the serving processes that ran the card's clicks (from `card show --history`)."""
    return {click["holder"].rsplit("/", 1)[0] for click in show_card(server, message_id, history=True)["clicks"]}


def assert_undamaged(server: BotServer) -> None:
    """The server's SQLite file passes integrity_check (PostgreSQL keeps its own consistency)."""
    database = server_database(server)
    if isinstance(database, Path):
        conn = sqlite3.connect(database)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()


def database_snapshot(server: BotServer) -> dict[str, list[tuple]]:
    """Every row of every table holding what cardbot stored (for proving nothing changed)."""
    return read_store(server, lambda store: store.table_rows())


def eventually(check: Callable[[], T], what: str, timeout: float = 15.0) -> T:
    """`check()`'s first truthy result, polling every 50 ms; fails the test naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


def plaintext(body: bytes) -> dict[str, Any]:
    """The JSON inside a callback body built with the test secrets (decrypted when it is encrypted)."""
    outer = json.loads(body)
    return json.loads(decrypt(outer["encrypt"], ENCRYPT_KEY)) if "encrypt" in outer else outer


RECORDER_CONFIG = '[plugins.recorder]\nenabled = true\nmodule = "cardbot_testplugins.recorder"\n'


def start_recorder(directory: Path, folder: Path, claims: dict[str, Any], *, bot_table: str = "",
                   env: dict[str, str] | None = None, database: str | None = None) -> BotServer:
    """A server running the recorder test plugin with `claims`, recording into `folder` (see `recorded`);
    `bot_table` adds lines to `[bot]`, `env` to the environment (e.g. LARK_API_BASE)."""
    config = f'[bot]\ndatabase = "cardbot.db"\n{bot_table}{RECORDER_CONFIG}'
    environment = {**SECRETS, "CARDBOT_RECORDER_DIR": str(folder), "CARDBOT_RECORDER_CLAIMS": json.dumps(claims),
                   **(env or {})}
    return start_server(directory, config, env=environment, database=database)


def lark_app(platform: Any) -> dict[str, str]:
    """The environment that points a server at a FakeLarkPlatform for the app cli_test / secret."""
    return {"LARK_APP_ID": "cli_test", "LARK_APP_SECRET": "secret", "LARK_API_BASE": platform.base_url}


def recorded(folder: Path, hook: str) -> list[dict[str, Any]]:
    """What the recorder test plugin (cardbot_testplugins/recorder.py) was handed by `hook`, oldest first."""
    path = Path(folder) / f"{hook}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def plugin_state(server: BotServer, plugin: str, message_id: str) -> dict[str, Any]:
    """A plugin's committed state for one card ("" for its plugin-wide state)."""
    rows = read_store(server, lambda store: store.state(plugin, message_id))
    return {key: json.loads(value) for scope, key, value in rows if scope == message_id}


@contextlib.contextmanager
def small_file_system(mount_point: Path, size: str, why: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `mount_point` (made here), unmounted afterwards; skips the test with
    `why` where mounting is impossible (it needs root)."""
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {why}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


# Plugins that misbehave on purpose (tests/testplugins/cardbot_testplugins/escapes.py, loop_blocker.py)
MISBEHAVING_PLUGINS = """
[plugins.escapes_sync]
enabled = true
module = "cardbot_testplugins.escapes:SYNC"

[plugins.escapes_async]
enabled = true
module = "cardbot_testplugins.escapes:ASYNC"

[plugins.loop_blocker]
enabled = true
module = "cardbot_testplugins.loop_blocker"
"""


def assert_one_error_line(result: subprocess.CompletedProcess, *parts: str) -> None:
    """Start-up failed with exit 2, one `error:` line naming the cause, and no traceback."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert all(part in errors[0] for part in parts), errors
    assert "Traceback" not in output


def environment_beside_cardbot(folder: Path) -> Path:
    """A new virtual environment in `folder` that also sees this run's packages (cardbot from its source, as a
    plugin's README says to install it), so installing a plugin there leaves this run's environment as it was;
    returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    here = sysconfig.get_paths()["purelib"]
    Path(site, "cardbot_beside.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    return python


def pip_install(python: Path, *args: str, cwd: Path) -> None:
    """`pip install ARGS` into the environment of `python`, offline (no dependencies, no build isolation)."""
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", *args], cwd=cwd, check=True, capture_output=True)
