"""`Harness`: run plugins in the test's own process, through cardbot's real click, message and timer paths,
on a real SQLite file, with a stand-in Lark platform for what they send. No server process, no HTTP.

    with Harness("approvals", config={"approvers": ["ou_boss"]}) as bot:
        bot.put_card("om_1", CARD, state={"amount": 120})
        result = bot.click("om_1", "approve", as_="ou_boss")
        assert result.toast.content == "Approved"
        assert result.card["body"]["elements"][0]["content"] == "Approved by ou_boss"
        assert bot.state("om_1")["approved_by"] == "ou_boss"
        assert bot.outbox()[0]["receive_id"] == "ou_requester"

Each call waits until what it started is finished and committed, as the server would leave it: the click's
commit, the messages it queued sent to the stand-in platform (`bot.platform`) and recorded, follow-up
hooks of a chat message, late results. The callbacks are built by `LarkCallbacks` exactly as Lark sends
them and enter cardbot after the HTTP layer (decryption and signatures are the server's: `BotServer`
tests them), so routing, the stale guard, the plugin's turn, merging, validation, state and the outbox
are cardbot's own.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import tomlkit

from ..config import LarkSecrets, load_config
from ..jsoncodec import dumps, loads
from ..patches.validate import card_json
from ..protocol import classify
from ..protocol.jsonbody import load_object
from ..receiving import receive
from ..runtime import Runtime
from ..store.timers import DueTimer
from ..toast import Toast
from .callbacks import LarkCallbacks
from .components import chosen_options, click_action, find_component
from .lark_platform import FakeLarkPlatform

T = TypeVar("T")
TOKEN = "harness-token"
APP_ID, APP_SECRET = "cli_harness", "harness-secret"
BOT_OPEN_ID = "ou_harness_bot"
SETTLE_TIMEOUT = 30.0
"""The longest a call waits for what it started (a hung plugin is cut off at `[bot] hard_limit` first)."""


@dataclass(frozen=True)
class ClickResult:
    """What a click got: the answer Lark would show (`toast`, `answer`) and the card as stored after it."""

    answer: dict[str, Any]
    """The callback's answer body exactly as the server sends it to Lark."""
    toast: Toast | None
    card: dict[str, Any] | None
    """The card as stored once the click finished (None when the card is not stored)."""
    version: int | None


@dataclass(frozen=True)
class MessageResult:
    """What a chat message got: the messages its hook sent (outbox rows, as `Harness.outbox` lists them)."""

    message_id: str
    sent: list[dict[str, Any]]

    @property
    def texts(self) -> list[str]:
        """The text of every text message sent in answer (a reply or a send)."""
        return [row["content"]["text"] for row in self.sent if row["msg_type"] == "text"]


class Harness:
    """Plugins loaded from a plugins.toml made of `plugins` (one name, or name → its `[plugins.NAME]` table),
    serving in this process until `close()` (or the end of `with`)."""

    def __init__(self, plugins: str | Mapping[str, Mapping[str, Any]], *, config: Mapping[str, Any] | None = None,
                 module: str | None = None, bot: Mapping[str, Any] | None = None,
                 directory: Path | None = None) -> None:
        """`plugins="approvals"` turns on one plugin with `config` as its table (and `module` to load it from a
        module rather than its entry point); a mapping turns on several, each with its own table. `bot` adds
        `[bot]` settings (`deadline`, `timezone`, …). The database and plugins.toml go in `directory`
        (default: a fresh temporary folder, removed by `close`)."""
        if isinstance(plugins, str):
            tables = {plugins: {**(config or {}), **({"module": module} if module else {})}}
        elif config is not None or module is not None:
            raise TypeError("config= and module= are for one plugin; give each plugin's table in the mapping")
        else:
            tables = {name: dict(table) for name, table in plugins.items()}
        self._temporary = None if directory is not None else tempfile.TemporaryDirectory(prefix="cardbot-harness-")
        self.directory = Path(directory if directory is not None else self._temporary.name)  # type: ignore[union-attr]
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path = self.directory / "plugins.toml"
        document = {"bot": {"database": "cardbot.db", **(bot or {})},
                    "plugins": {name: {"enabled": True, **table} for name, table in tables.items()}}
        self.config_path.write_text(tomlkit.dumps(document), encoding="utf-8")
        self.plugin_names = tuple(tables)
        self.lark = LarkCallbacks(TOKEN)
        self.platform = FakeLarkPlatform(APP_ID, APP_SECRET, bot_open_id=BOT_OPEN_ID)
        """The stand-in Lark open platform the plugins' sends, replies and updates go to."""
        self.bot_open_id = BOT_OPEN_ID
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cardbot-harness", daemon=True)
        self._runtime: Runtime | None = None

    def start(self) -> Harness:
        """Load the plugins (ConfigError as `serve` would say it), open the database, run startup hooks."""
        if self._runtime is not None:
            raise RuntimeError("this harness is already started")
        self.platform.__enter__()
        self._thread.start()
        config = load_config(self.config_path)
        secrets = LarkSecrets(APP_ID, APP_SECRET, TOKEN, None, self.platform.base_url)
        try:
            self._runtime = self._run(Runtime.start(config, secrets))
        except BaseException:
            self._shut_down()
            raise
        return self

    def close(self) -> None:
        """Run shutdown hooks, close the database, stop the platform; remove the temporary folder."""
        try:
            if self._runtime is not None:
                self._run(self._runtime.stop())
        finally:
            self._runtime = None
            self._shut_down()

    def __enter__(self) -> Harness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # What a test does

    def put_card(self, card_id: str, card: dict[str, Any], *, state: Mapping[str, Any] | None = None,
                 plugin: str | None = None) -> int:
        """Store `card` as `card_put` does (checked as every send is); a new card may start with `state` (the
        plugin's `state.card` for it; `plugin` defaults to the only one loaded). Returns the version."""
        text = card_json(card)
        if state is None:
            return self._run(self._live.store.put_card(card_id, text))
        owner = self._plugin(plugin)
        rows = tuple((owner, key, dumps(value)) for key, value in state.items())
        if self._run(self._live.store.card(card_id)) is not None:
            raise ValueError(f"card {card_id!r} is stored already: state= is for a new card")
        return self._run(self._live.store.put_sent_card(card_id, text, rows))

    def click(self, card_id: str, component: str, *, as_: str = "ou_tester", option: str | None = None,
              options: Sequence[str] | None = None, form: Mapping[str, Any] | None = None,
              input: str | None = None, checked: bool | None = None, value: Any = None,
              chat_id: str = "oc_harness") -> ClickResult:
        """Click `component` (its element_id, value `button_id` or name) on stored card `card_id` as person
        `as_`: with `option` (a select's choice), `options` (a multi-select's), `form` (a form's field values,
        for its submit button), `input` (an input's text) or `checked` (a checker). `value` overrides the
        value the component carries, to send what an old or forged card would. NoSuchComponent or
        ClickNotPossible (an option the component does not list, a field its form does not have) say what
        the card cannot do."""
        stored = self.card(card_id)
        if stored is None:
            raise LookupError(f"no card {card_id!r} is stored: put_card it first (or send it from a plugin)")
        fields = click_action(find_component(stored, component), options=chosen_options(option, options),
                              form=form or (), input=input, checked=checked)
        if value is not None:
            fields["value"] = value
        body, _ = self.lark.card_action_trigger(message_id=card_id, open_id=as_, chat_id=chat_id, **fields)
        answer = self._run(self._receive(body))
        toast = answer.get("toast") if isinstance(answer, dict) else None
        shown = self._run(self._live.store.show_card(card_id))  # the card as stored now, and its version
        return ClickResult(answer, Toast.from_json(toast) if toast else None, shown["card"] if shown else None,
                           shown["version"] if shown else None)

    def message(self, text: str, *, as_: str = "ou_tester", chat_id: str = "oc_harness",
                direct: bool = False, mention_bot: bool | None = None) -> MessageResult:
        """Send chat message `text` to the bot as person `as_`: in a group (the bot @-mentioned first, unless
        `mention_bot=False`) or, with `direct`, in a one-to-one chat. Returns what the bot sent in answer."""
        mention = (not direct) if mention_bot is None else mention_bot
        mentions = [(self.bot_open_id, "bot")] if mention else []
        body, _ = self.lark.message_receive(f"@_user_1 {text}" if mention else text, chat_id=chat_id,
                                            chat_type="p2p" if direct else "group", open_id=as_, mentions=mentions)
        message_id = loads(body)["event"]["message"]["message_id"]
        self.platform.register_message(message_id, chat_id)
        before = len(self.outbox())
        self._run(self._receive(body))
        return MessageResult(message_id, self.outbox()[before:])

    def fire_timer(self, key: str, *, plugin: str | None = None) -> bool:
        """Run the timer `key` of `plugin` now, however far off it is due, as the dispatcher runs a due one;
        False when no such timer is set (or it waits for its card's send)."""
        owner = self._plugin(plugin)
        due = self._run(self._live.store.runnable_timer(owner, key))
        if due is None:
            return False
        self._run(self._fire(due))
        return True

    def settle(self) -> None:
        """Wait until nothing this harness started is still running or waiting to be sent."""
        self._run(self._settle())

    # What a test reads

    def card(self, card_id: str) -> dict[str, Any] | None:
        """The card as stored now, or None."""
        stored = self._run(self._live.store.card(card_id))
        return loads(stored.card_json) if stored else None

    def history(self, card_id: str) -> list[dict[str, Any]]:
        """The card's versions as `card show --history` lists them (version, plugin, operator, patch, …)."""
        shown = self._run(self._live.store.show_card(card_id, history=True))
        return shown["history"] if shown else []

    def state(self, card_id: str | None = None, *, plugin: str | None = None) -> dict[str, Any]:
        """A plugin's committed state: of card `card_id` (its `state.card`), or with None its `state.plugin`."""
        rows = self._run(self._live.store.state(self._plugin(plugin), card_id or ""))
        scope = card_id or ""
        return {key: loads(value) for row_scope, key, value in rows if row_scope == scope}

    def outbox(self) -> list[dict[str, Any]]:
        """Every message the plugins queued, oldest first: kind (`send`/`reply`), receive_id_type, receive_id,
        msg_type, content (decoded), state, status (`sent`, `failed`, `pending`), message_id (once sent)."""
        return self._run(self._live.store.list_outbox())

    def timers(self) -> list[dict[str, Any]]:
        """The timers set now, as `bot.py timers` lists them."""
        return self._run(self._live.store.list_timers())

    # Inside

    @property
    def _live(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("the harness is not started: use it in a `with` block, or call start()")
        return self._runtime

    def _plugin(self, plugin: str | None) -> str:
        if plugin is not None:
            return plugin
        if len(self.plugin_names) != 1:
            raise TypeError(f"several plugins are loaded ({', '.join(self.plugin_names)}): say which, plugin=…")
        return self.plugin_names[0]

    async def _receive(self, body: bytes) -> Any:
        reply = await receive(self._live, classify(load_object(body)), time.monotonic(), keep_forever=False)
        reply.then()
        await self._settle()
        return reply.body

    async def _fire(self, due: DueTimer) -> None:
        await self._live.timer_runs.run(due)
        await self._settle()

    async def _settle(self) -> None:
        runtime = self._live
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            running = runtime.clicks.unfinished() | runtime.events.unfinished() | runtime.background
            if running:
                await asyncio.wait(running, timeout=deadline - time.monotonic())
                continue
            next_at = await runtime.store.next_work_at()
            if next_at is None or next_at > time.time() + 0.5:  # nothing due now (a retry later is not waited for)
                return
            runtime.dispatcher.wake()
            await asyncio.sleep(0.01)
        raise TimeoutError(f"work started in the harness was still running after {SETTLE_TIMEOUT:g} s")

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def _shut_down(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
        self._loop.close()
        self.platform.__exit__(None, None, None)
        if self._temporary is not None:
            self._temporary.cleanup()
