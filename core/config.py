"""Load `plugins.toml` and the environment into checked, read-only settings.

    config = load_config(Path("plugins.toml"))
    config.bot.database          # absolute Path (relative to the file), or a postgresql:// URL
    config.plugins["publish"]    # PluginTable(name="publish", enabled=True, ...)

Every mistake becomes a `ConfigError` that names the file, the table and the key.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .frozen import FrozenDict, freeze

DEFAULT_CONFIG_NAME = "plugins.toml"
FRAMEWORK_PLUGIN_KEYS = ("enabled", "module")
"""Keys of a `[plugins.NAME]` table that cardbot reads itself; the rest is the plugin's own config."""


@dataclass(frozen=True)
class BotSettings:
    """The `[bot]` table. Durations are seconds; sizes are bytes."""

    database: Path | str
    """The SQLite file (a Path), or a PostgreSQL URL (a str: postgresql://user:password@host:port/dbname).
    The variable CARDBOT_DATABASE overrides `[bot] database` (a relative path there is from the working folder)."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    dev: bool = False
    deadline: float = 2.5
    """Answer a click within this budget; a plugin still running then finishes in the background."""
    hard_limit: float = 60.0
    """A plugin still running after this long is cut off and its click recorded as timed out."""
    max_body_bytes: int = 1024 * 1024
    request_timeout: float = 5.0
    """A client must send its request headers, then its whole body, within this; else 408."""
    timestamp_tolerance: float = 300.0
    """Refuse signed callbacks whose integer timestamp is further than this from now (0 disables)."""
    busy_timeout: float = 2.0
    """How long a click waits for a locked database before it is answered with a retry toast."""
    synchronous: str = "normal"
    """SQLite `synchronous`: "normal" survives a killed process, "full" also survives power loss."""
    database_pool: int = 8
    """PostgreSQL: connections each worker process keeps at most (plus one that listens for freed cards)."""
    host_timeout: float = 8.0
    """A serving process silent in the database this long is dead: its running clicks are recorded
    interrupted and its cards freed (docs/scaling.md). It renews its presence every host_timeout / 5."""
    plugin_threads: int = 4
    """Threads per plugin for plain (non-async) hook implementations."""
    processing_toast: str | None = None
    """The toast of a click answered before its plugin finished (default: a Chinese/English "processing")."""
    shutdown_grace: float = 10.0
    """On stop, how long a worker waits for clicks still finishing in the background."""
    dedupe_retention_hours: float = 24.0
    """Keep each delivery record this long: a redelivery within it is recognised and runs nothing."""
    history_retention_days: float = 90.0
    """Keep old card versions in the history this long (0 keeps them forever); the current one is always kept."""
    card_retention_days: float = 0.0
    """Delete stored cards (with their history, state and records) this long after their last change; 0 keeps
    them. Lark lets a card be updated for 14 days and clicked for 30 (JSON 1.0), so 30 or more is safe."""
    long_connection: bool = False
    """Also receive callbacks and events over Lark's long connection (a WebSocket the bot opens with
    LARK_APP_ID / LARK_APP_SECRET): for a bot with no public callback URL. One connection per worker."""
    callback_url: bool = True
    """Serve `POST /lark/callback`. False (with long_connection) answers it 404: everything comes over the
    long connection."""
    timezone: str = "UTC"
    """The IANA time zone plugins read times of day in (`poll … --close-at 17:00`); `bot.timezone`."""
    access_log: bool = False
    log_level: str = "INFO"
    metrics: bool = True
    """Serve `GET /metrics` (Prometheus text format, no authentication); False answers it 404."""

    @property
    def retention(self) -> tuple[float, float | None]:
        """(seconds to keep delivery records, seconds to keep old history or None for ever)."""
        history = self.history_retention_days * 86400 or None
        return self.dedupe_retention_hours * 3600, history

    @property
    def card_retention(self) -> float | None:
        """Seconds to keep a stored card after its last change, or None for ever."""
        return self.card_retention_days * 86400 or None


_BOT_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "database": (str,),
    "host": (str,),
    "port": (int,),
    "workers": (int,),
    "dev": (bool,),
    "deadline": (int, float),
    "hard_limit": (int, float),
    "max_body_bytes": (int,),
    "request_timeout": (int, float),
    "timestamp_tolerance": (int, float),
    "busy_timeout": (int, float),
    "synchronous": (str,),
    "database_pool": (int,),
    "host_timeout": (int, float),
    "plugin_threads": (int,),
    "processing_toast": (str,),
    "shutdown_grace": (int, float),
    "dedupe_retention_hours": (int, float),
    "history_retention_days": (int, float),
    "card_retention_days": (int, float),
    "long_connection": (bool,),
    "callback_url": (bool,),
    "timezone": (str,),
    "access_log": (bool,),
    "log_level": (str,),
    "metrics": (bool,),
}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class PluginTable:
    """One `[plugins.NAME]` table: whether it is on, where to load it from, and its own settings."""

    name: str
    enabled: bool = False
    module: str | None = None
    config: FrozenDict = field(default_factory=FrozenDict)
    """The table without `enabled` and `module`, read-only; what the plugin's hooks receive as `config`."""
    problem: str | None = None
    """A key that looks like a misspelt `enabled` or `module`; start-up refuses it, `plugins list` shows it."""


@dataclass(frozen=True)
class Config:
    """Everything `plugins.toml` says, checked."""

    path: Path
    bot: BotSettings
    plugins: Mapping[str, PluginTable]
    owners: Mapping[str, str]
    """`[owners]`: claim key (a button_type, or `"name:X"`, `"command:X"`, `"url:PATTERN"`, `"event:X"`,
    `messages`) → the plugin that owns it when several enabled plugins claim it."""


@dataclass(frozen=True)
class LarkSecrets:
    """Credentials from the environment; an empty variable counts as unset."""

    app_id: str | None = None
    app_secret: str | None = None
    verification_token: str | None = None
    encrypt_key: str | None = None
    api_base: str = "https://open.feishu.cn"
    api_token: str | None = None
    """`CARDBOT_API_TOKEN`: the bearer token of `POST /api/cards`; the API is off without it."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LarkSecrets:
        """Read `LARK_APP_ID`, `LARK_APP_SECRET`, `LARK_VERIFICATION_TOKEN`, `LARK_ENCRYPT_KEY`, `LARK_API_BASE`
        and `CARDBOT_API_TOKEN`."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return env.get(name) or None

        return cls(
            app_id=get("LARK_APP_ID"),
            app_secret=get("LARK_APP_SECRET"),
            verification_token=get("LARK_VERIFICATION_TOKEN"),
            encrypt_key=get("LARK_ENCRYPT_KEY"),
            api_base=(get("LARK_API_BASE") or cls.api_base).rstrip("/"),
            api_token=get("CARDBOT_API_TOKEN"),
        )

    @property
    def can_verify_callbacks(self) -> bool:
        """True when at least one callback secret is configured."""
        return bool(self.verification_token or self.encrypt_key)


def default_config_path(script_dir: Path | None = None) -> Path:
    """`./plugins.toml` when it exists, else the one beside `bot.py` (so `python bot.py` runs from anywhere)."""
    here = Path.cwd() / DEFAULT_CONFIG_NAME
    if here.exists() or script_dir is None:
        return here
    return script_dir / DEFAULT_CONFIG_NAME


def load_config(path: Path) -> Config:
    """Read and check `path`; raises ConfigError naming the file, table and key of any mistake."""
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path} (pass --config PATH)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path) -> Config:
    """Check an already-parsed TOML document that came from `path`."""
    unknown = sorted(set(data) - {"bot", "plugins", "owners"})
    if unknown:
        raise ConfigError(f"{path}: unknown table(s) {', '.join(unknown)}; known: [bot], [plugins.NAME], [owners]")
    return Config(
        path=path,
        bot=_parse_bot(_table(data, "bot", path), path),
        plugins=MappingProxyType(_parse_plugins(_table(data, "plugins", path), path)),
        owners=MappingProxyType(_parse_owners(_table(data, "owners", path), path)),
    )


def _table(data: Mapping[str, Any], name: str, path: Path) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table


def _parse_bot(table: Mapping[str, Any], path: Path) -> BotSettings:
    known = {f.name for f in fields(BotSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{path}: unknown key {key!r} in [bot]; known keys: {', '.join(sorted(known))}")
        expected = _BOT_KEY_TYPES[key]
        if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in expected)
            raise ConfigError(f"{path}: [bot] {key} must be {names}, not {value!r}")
        values[key] = value
    override = os.environ.get("CARDBOT_DATABASE")
    values["database"] = (database_location(override, Path.cwd()) if override else
                          database_location(values.get("database", "cardbot.db"), path.parent))
    settings = BotSettings(**values)
    _check_bot(settings, path)
    return settings


def database_location(database: str, base: Path) -> Path | str:
    """A PostgreSQL URL as it is (checked), or the SQLite path made absolute from `base`."""
    if database.startswith(("postgresql://", "postgres://")):
        from .store.postgres import check_url  # imported here: a SQLite bot never loads psycopg

        check_url(database)
        return database
    location = Path(database)
    return location if location.is_absolute() else base / location


def _check_bot(settings: BotSettings, path: Path) -> None:
    positive = ("deadline", "hard_limit", "max_body_bytes", "request_timeout", "busy_timeout", "workers",
                "database_pool", "host_timeout",
                "plugin_threads", "shutdown_grace", "dedupe_retention_hours")
    for key in positive:
        if getattr(settings, key) <= 0:
            raise ConfigError(f"{path}: [bot] {key} must be greater than 0")
    if settings.deadline >= 3:
        raise ConfigError(f"{path}: [bot] deadline must be under 3 seconds (Lark's limit); 2.5 is the default")
    if settings.hard_limit < settings.deadline:
        raise ConfigError(f"{path}: [bot] hard_limit must not be shorter than deadline")
    if settings.history_retention_days < 0:
        raise ConfigError(f"{path}: [bot] history_retention_days must be 0 (keep forever) or more")
    if not (settings.callback_url or settings.long_connection):
        raise ConfigError(f"{path}: [bot] callback_url = false needs long_connection = true: else nothing could "
                          f"reach the bot")
    if settings.card_retention_days < 0:
        raise ConfigError(f"{path}: [bot] card_retention_days must be 0 (keep forever) or more")
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{path}: [bot] timezone {settings.timezone!r} is not an IANA time zone name "
                          f"(like \"Asia/Shanghai\" or \"UTC\")") from None
    if settings.timestamp_tolerance < 0:
        raise ConfigError(f"{path}: [bot] timestamp_tolerance must be 0 (off) or more")
    replay_window = 2 * settings.timestamp_tolerance  # a timestamp is accepted from T - tolerance to T + tolerance
    if settings.dedupe_retention_hours * 3600 < replay_window:
        raise ConfigError(
            f"{path}: [bot] dedupe_retention_hours ({settings.dedupe_retention_hours:g} h) must outlive the replay "
            f"window of timestamp_tolerance ({settings.timestamp_tolerance:g} s, so {replay_window:g} s): a delivery "
            f"record pruned sooner lets a captured callback run again; set it to at least "
            f"{replay_window / 3600:.3g} or shorten timestamp_tolerance")
    if not 0 < settings.port < 65536:
        raise ConfigError(f"{path}: [bot] port must be between 1 and 65535")
    if settings.synchronous not in ("normal", "full"):
        raise ConfigError(f"{path}: [bot] synchronous must be \"normal\" or \"full\"")
    if settings.log_level.upper() not in _LOG_LEVELS:
        raise ConfigError(f"{path}: [bot] log_level must be one of {', '.join(_LOG_LEVELS)}")


def _parse_plugins(table: Mapping[str, Any], path: Path) -> dict[str, PluginTable]:
    plugins = {}
    for name, plugin in table.items():
        where = f"{path}: [plugins.{name}]"
        if not isinstance(plugin, dict):
            raise ConfigError(f"{where} must be a table, e.g. [plugins.{name}] with enabled = true")
        enabled = plugin.get("enabled", False)
        if not isinstance(enabled, bool):
            raise ConfigError(f"{where} enabled must be true or false, not {enabled!r}")
        module = plugin.get("module")
        if module is not None and (not isinstance(module, str) or not module.strip()):
            raise ConfigError(f"{where} module must be a dotted module path such as \"my_team.cardbot_plugin\"")
        own = {key: value for key, value in plugin.items() if key not in FRAMEWORK_PLUGIN_KEYS}
        plugins[name] = PluginTable(name, enabled, module, freeze(own), _misspelt_key(plugin, where))
    return plugins


def _misspelt_key(plugin: Mapping[str, Any], where: str) -> str | None:
    """A problem when a key is a close match of a framework key the table lacks (`enabeld = true` would
    leave the plugin silently off); the plugin's own settings may use any other name."""
    missing = [key for key in FRAMEWORK_PLUGIN_KEYS if key not in plugin]
    for key in plugin:
        if key not in FRAMEWORK_PLUGIN_KEYS:
            guess = difflib.get_close_matches(key.lower(), missing, n=1, cutoff=0.83)  # not `mode`, `model`
            if guess:
                return f"{where} has {key!r}: did you mean {guess[0]!r}? (cardbot reads only {guess[0]!r})"
    return None


def _parse_owners(table: Mapping[str, Any], path: Path) -> dict[str, str]:
    for claim, owner in table.items():
        if not isinstance(owner, str) or not owner:
            raise ConfigError(f"{path}: [owners] {claim} must name a plugin, e.g. {claim} = \"publish\"")
    return dict(table)
