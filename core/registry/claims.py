"""Who owns which button_type: one plugin each, or a start-up error that names every claimant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from ..config import Config
from ..errors import ConfigError

if TYPE_CHECKING:
    from .host import LoadedPlugin


def build_routes(plugins: Mapping[str, LoadedPlugin], config: Config) -> dict[str, str]:
    """Map each claimed button_type to its one owning plugin; `[owners]` settles a shared claim."""
    claimants: dict[str, list[str]] = {}
    for plugin in plugins.values():
        for button_type in plugin.claims:
            claimants.setdefault(button_type, []).append(plugin.name)
    _check_owners(claimants, config)
    routes = {}
    for button_type, names in claimants.items():
        owner = config.owners.get(button_type)
        if owner is None and len(names) > 1:
            raise ConfigError(
                f"button_type {button_type!r} is claimed by {len(names)} enabled plugins: {_quote(names)}. "
                f"Disable one, or name the owner in {config.path.name}:\n[owners]\n{button_type} = \"{names[0]}\""
            )
        routes[button_type] = owner or names[0]
    return routes


def _check_owners(claimants: Mapping[str, list[str]], config: Config) -> None:
    for button_type, owner in config.owners.items():
        names = claimants.get(button_type, [])
        if owner not in names:
            who = f"it is claimed by {_quote(names)}" if names else "no enabled plugin claims it"
            raise ConfigError(
                f"{config.path}: [owners] {button_type} = {owner!r}, but {owner!r} does not claim it "
                f"(or is not enabled); {who}"
            )


def _quote(names: list[str]) -> str:
    return " and ".join(repr(name) for name in names)
