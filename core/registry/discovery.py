"""Where plugins come from: bundled modules, installed entry points, and `module =` in plugins.toml.

Discovery only lists names; nothing is imported here, so a plugin that is off never runs any code.
"""

from __future__ import annotations

import importlib.metadata
import pkgutil
from dataclasses import dataclass
from typing import Literal

from ..config import Config
from ..errors import ConfigError

ENTRY_POINT_GROUP = "cardbot"
BUNDLED_PACKAGE = "cardbot_plugins"

SourceKind = Literal["bundled", "entry point", "module"]


@dataclass(frozen=True)
class PluginSource:
    """Where one named plugin is loaded from: `target` is `module` or `module:attribute`."""

    name: str
    kind: SourceKind
    target: str
    version: str | None = None
    distribution: str | None = None

    def describe(self) -> str:
        """A short human description, e.g. "entry point (team-plugin 1.2)"."""
        if self.kind == "entry point":
            return f"entry point ({self.distribution} {self.version or ''})".replace(" )", ")")
        if self.kind == "module":
            return f"module {self.target}"
        return "bundled"


def discover(config: Config) -> dict[str, list[PluginSource]]:
    """Every plugin name that can be loaded, with each source that offers it (usually exactly one)."""
    found: dict[str, list[PluginSource]] = {}
    for source in (*_bundled(), *_entry_points(), *_configured_modules(config)):
        found.setdefault(source.name, []).append(source)
    return found


def choose_source(name: str, sources: list[PluginSource], config: Config) -> PluginSource:
    """The one source to load `name` from; `module =` in plugins.toml wins over everything else."""
    configured = [source for source in sources if source.kind == "module"]
    if configured:
        return configured[0]
    if not sources:
        raise ConfigError(
            f"{config.path}: [plugins.{name}] is enabled but no plugin named {name!r} exists: it is not bundled, "
            f"no installed package has a {ENTRY_POINT_GROUP!r} entry point named {name!r}, and the table has no "
            f"module = \"package.module\""
        )
    if len(sources) > 1:
        offered = "; ".join(f"{source.describe()}: {source.target}" for source in sources)
        raise ConfigError(
            f"{config.path}: two plugins are named {name!r} ({offered}); "
            f"choose one with module = \"...\" in [plugins.{name}]"
        )
    return sources[0]


def _bundled() -> list[PluginSource]:
    package = importlib.import_module(BUNDLED_PACKAGE)
    from .. import __version__

    return [
        PluginSource(info.name, "bundled", f"{BUNDLED_PACKAGE}.{info.name}", __version__)
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def _entry_points() -> list[PluginSource]:
    sources = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        sources.append(
            PluginSource(
                entry_point.name,
                "entry point",
                entry_point.value,
                dist.version if dist else None,
                dist.metadata["Name"] if dist else None,
            )
        )
    return sources


def _configured_modules(config: Config) -> list[PluginSource]:
    return [
        PluginSource(table.name, "module", table.module)
        for table in config.plugins.values()
        if table.module
    ]
