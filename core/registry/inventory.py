"""What the admin sees in `plugins list`: every known plugin, whether it is on, and what it owns.

Unlike start-up, a broken plugin here is reported on its own row instead of stopping everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..config import Config
from ..errors import ConfigError
from .claims import build_routes
from .discovery import discover
from .host import LoadedPlugin, load_plugin


@dataclass(frozen=True)
class PluginRow:
    """One plugin as the admin sees it."""

    name: str
    state: str
    """"on", "off", "error" (enabled but cannot load, or found nowhere; or its table has a misspelt `enabled`
    or `module`) or "missing" (off, and found nowhere)."""
    source: str
    version: str | None = None
    claims: tuple[str, ...] = ()
    """Every claim as its `[owners]` key: `vote`, `name:expense_form`, `command:poll`, `url:…`, `event:…`,
    `messages`."""
    owns: tuple[str, ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class Inventory:
    """Every plugin row, plus problems that belong to no single plugin (shared claims)."""

    rows: list[PluginRow]
    problems: list[str] = field(default_factory=list)


def take_inventory(config: Config) -> Inventory:
    """Describe every bundled, installed and configured plugin; loads (but never starts) the enabled ones."""
    sources = discover(config)
    loaded: dict[str, LoadedPlugin] = {}
    rows = {}
    for name in sorted(set(sources) | set(config.plugins)):
        table = config.plugins.get(name)
        offered = sources.get(name, [])
        source = ", ".join(s.describe() for s in offered) or "not found"
        if table is not None and table.problem:
            rows[name] = PluginRow(name, "error", source, problem=table.problem)
        elif not offered:
            enabled = table is not None and table.enabled
            rows[name] = PluginRow(name, "error" if enabled else "missing", source,
                                   problem="no bundled, installed or module plugin has this name")
        elif table is None or not table.enabled:
            rows[name] = PluginRow(name, "off", source, offered[0].version)
        else:
            try:
                plugin = load_plugin(config, name, offered)
            except ConfigError as error:
                rows[name] = PluginRow(name, "error", source, problem=str(error))
                continue
            loaded[name] = plugin
            rows[name] = PluginRow(name, "on", plugin.source.describe(), plugin.version, tuple(plugin.claims.keys()))
    problems = []
    try:
        owners = build_routes(loaded, config).owners
    except ConfigError as error:
        problems.append(str(error))
        owners = {}
    for name in loaded:
        owned = tuple(key for key, owner in owners.items() if owner == name)
        rows[name] = replace(rows[name], owns=owned)
    return Inventory(list(rows.values()), problems)
