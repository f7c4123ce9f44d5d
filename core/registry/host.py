"""Load the enabled plugins into pluggy, check them, and build the table of who owns which claim.

    host = load_plugins(config)        # raises ConfigError with a message naming the plugin
    host.owner_of("public_publish")    # LoadedPlugin(name="publish", ...)
    host.owner_of_click(action)        # by button_type, else by component name
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, replace
from typing import Any, Mapping

import pluggy

from .. import hookspecs
from ..action import Action
from ..config import Config, PluginTable
from ..errors import ConfigError
from ..failures import describe
from ..frozen import FrozenDict
from ..routing.router import Router, find_router
from .claims import Claims, Routes, build_routes, merge_claims, missing_hooks, read_claims
from .discovery import PluginSource, choose_source, discover
from .hookcall import HookCall


@dataclass(frozen=True)
class LoadedPlugin:
    """An enabled, loaded plugin: its name, where it came from, its config and what it claims."""

    name: str
    source: PluginSource
    config: FrozenDict
    version: str | None
    hooks: Mapping[str, "HookCall"]
    claims: Claims = Claims()
    shares_serving_loop: bool = False
    """The plugin declares `CARDBOT_SHARES_SERVING_LOOP = True`: its async hooks never block, so they run on
    the serving loop (no thread hop) instead of a loop of their own."""

    def hook(self, hook_name: str) -> HookCall | None:
        """This plugin's implementation of `hook_name`, or None when it has none."""
        return self.hooks.get(hook_name)


def _hooks_of(manager: pluggy.PluginManager, plugin_name: str) -> dict[str, HookCall]:
    hooks = {}
    for hook_name in dir(hookspecs):
        caller = getattr(manager.hook, hook_name, None)
        if isinstance(caller, pluggy.HookCaller):
            for impl in caller.get_hookimpls():
                if impl.plugin_name == plugin_name:
                    hooks[hook_name] = HookCall(impl.function, tuple(impl.argnames))
    return hooks


class PluginHost:
    """The enabled plugins of one process and who owns each of their claims."""

    def __init__(self, plugins: dict[str, LoadedPlugin], routes: Routes) -> None:
        self.plugins = plugins
        self.routes = routes

    def owner_of(self, button_type: str | None) -> LoadedPlugin | None:
        """The plugin that owns `button_type`, or None when no enabled plugin claims it."""
        return self._named(self.routes.owner("button_types", button_type))

    def owner_of_click(self, action: Action) -> LoadedPlugin | None:
        """The plugin a click goes to: the owner of its button_type, else the owner of its component's name."""
        return self.owner_of(action.button_type) or self._named(self.routes.owner("names", action.name))

    def owner_of_command(self, command: str) -> LoadedPlugin | None:
        """The plugin that claims chat command `command` (lower case), or None."""
        return self._named(self.routes.owner("commands", command))

    def owner_of_event(self, event_type: str | None) -> LoadedPlugin | None:
        """The plugin that claims events of `event_type`, or None."""
        return self._named(self.routes.owner("events", event_type))

    def owner_of_url(self, url: str | None) -> LoadedPlugin | None:
        """The plugin whose URL pattern matches `url` (the most specific pattern wins), or None."""
        return self._named(self.routes.owner_of_url(url))

    @property
    def messages_owner(self) -> LoadedPlugin | None:
        """The plugin that takes chat messages which are not a claimed command, or None."""
        return self._named(self.routes.messages)

    def _named(self, name: str | None) -> LoadedPlugin | None:
        return self.plugins[name] if name else None


SHARES_SERVING_LOOP = "CARDBOT_SHARES_SERVING_LOOP"
"""A plugin attribute: True promises that its async hooks never block (docs/plugins.md, "Sync or async")."""


def load_plugins(config: Config) -> PluginHost:
    """Import every enabled plugin, validate hooks and configs, collect claims; ConfigError on any problem."""
    problem = next((table.problem for table in config.plugins.values() if table.problem), None)
    if problem:  # a misspelt `enabled` leaves its plugin off: refuse it even though the table reads as off
        raise ConfigError(problem)
    manager = _new_manager()
    sources = discover(config)
    loaded = {}
    for table in config.plugins.values():
        if table.enabled:
            source = choose_source(table.name, sources.get(table.name, []), config)
            loaded[table.name] = _load_one(manager, table, source)
    _check_pending(manager)
    for plugin in loaded.values():
        _check_claimed_hooks(plugin)
    return PluginHost(loaded, build_routes(loaded, config))


def load_plugin(config: Config, name: str, sources: list[PluginSource]) -> LoadedPlugin:
    """Load one enabled plugin on its own (for `plugins list`); ConfigError on any problem."""
    manager = _new_manager()
    plugin = _load_one(manager, config.plugins[name], choose_source(name, sources, config))
    _check_pending(manager)
    _check_claimed_hooks(plugin)
    return plugin


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _check_pending(manager: pluggy.PluginManager) -> None:
    """pluggy's check_pending (an implementation that matches no hook, e.g. a misspelt name), with a hint."""
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        name = manager.get_name(error.plugin)
        unknown = [caller.name for caller in manager.get_hookcallers(error.plugin) or () if not caller.has_spec()]
        hook = unknown[0] if unknown else "a hook"
        known = [hook_name for hook_name in dir(hookspecs) if hook_name.startswith(f"{hookspecs.PROJECT_NAME}_")]
        guess = difflib.get_close_matches(hook, known, n=1)
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        raise ConfigError(f"plugin {name!r}: {hook} is not a cardbot hook{hint}; known hooks: {', '.join(known)}"
                          ) from None


UNSUPPORTED_OPTIONS = ("wrapper", "hookwrapper", "tryfirst", "trylast")
"""pluggy `@hookimpl` options cardbot does not honour: it calls one plugin's implementation directly."""


def _check_options(manager: pluggy.PluginManager, name: str) -> None:
    """Refuse an implementation marked with an option cardbot would silently ignore or break on."""
    for caller in manager.get_hookcallers(manager.get_plugin(name)) or ():
        for impl in caller.get_hookimpls():
            used = [option for option in UNSUPPORTED_OPTIONS if impl.plugin_name == name and getattr(impl, option)]
            if used:
                raise ConfigError(
                    f"plugin {name!r}: {caller.name} is marked @hookimpl({used[0]}=True), which cardbot does not "
                    f"support: each hook is called on one plugin only, directly, so there is nothing to wrap or "
                    f"order; remove {', '.join(f'{option}=True' for option in used)}")


def _load_one(manager: pluggy.PluginManager, table: PluginTable, source: PluginSource) -> LoadedPlugin:
    obj = import_plugin(source)
    try:
        manager.register(obj, name=table.name)
    except pluggy.PluginValidationError as error:
        raise ConfigError(f"plugin {table.name!r} ({source.target}): {error}") from None
    except ValueError as error:  # the same object registered under two names
        raise ConfigError(f"plugin {table.name!r} ({source.target}): {error}") from None
    _check_options(manager, table.name)
    router = _router_of(table.name, obj)
    own = _hooks_of(manager, table.name)
    hooks = own | _routed_hooks(table.name, router, own)
    plugin = LoadedPlugin(table.name, source, table.config, _version(source, obj), hooks,
                          shares_serving_loop=getattr(obj, SHARES_SERVING_LOOP, False) is True)
    _check_config(plugin)
    claims = _claims(plugin)
    return replace(plugin, claims=claims if router is None else merge_claims(plugin.name, claims, router.claims()))


def _router_of(name: str, obj: Any) -> Router | None:
    try:
        return find_router(obj)
    except TypeError as error:
        raise ConfigError(f"plugin {name!r}: {error}") from None


def _routed_hooks(name: str, router: Router | None, own: Mapping[str, HookCall]) -> dict[str, HookCall]:
    """The hooks `router` implements; ConfigError when the module implements one of them too (`own`)."""
    if router is None:
        return {}
    routed = router.hooks()
    both = sorted(set(routed) & set(own))
    if both:
        raise ConfigError(f"plugin {name!r} has routes for {both[0]} and implements {both[0]} itself; keep one: "
                          f"a route for each case, or the hook alone")
    return routed


def _check_claimed_hooks(plugin: LoadedPlugin) -> None:
    """Every kind of claim needs the hook that handles it (checked after misspelt hooks are reported)."""
    lacking = missing_hooks(plugin.claims, plugin.hooks)
    if lacking:
        kind, hook = lacking[0]
        raise ConfigError(f"plugin {plugin.name!r} claims {kind} but has no {hook}: nothing would handle them; "
                          f"implement {hook} or drop the claim")


def import_plugin(source: PluginSource) -> Any:
    """Import the module (or `module:attribute`) a source points at; ConfigError when that fails."""
    module_name, _, attribute = source.target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in filter(None, attribute.split(".")):
            obj = getattr(obj, part)
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - any import-time failure (sys.exit too) stops start-up, named
        raise ConfigError(f"plugin {source.name!r}: cannot load {source.target} ({describe(error)})") from None
    return obj


def _version(source: PluginSource, obj: Any) -> str | None:
    return source.version or getattr(obj, "__version__", None)


def _start_up_hook(plugin: LoadedPlugin, name: str) -> HookCall | None:
    """A hook run while plugins load, before any event loop: it must be a plain function."""
    hook = plugin.hook(name)
    if hook is not None and hook.is_async:
        raise ConfigError(f"plugin {plugin.name!r}: {name} must be a plain function, not async def "
                          f"(it runs once while plugins load)")
    return hook


def _check_config(plugin: LoadedPlugin) -> None:
    check = _start_up_hook(plugin, "cardbot_check_config")
    if check is None:
        return
    try:
        check(config=plugin.config)
    except ConfigError as error:
        raise ConfigError(f"[plugins.{plugin.name}]: {error}") from None
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - a plugin's own validation message, whatever its type
        raise ConfigError(f"[plugins.{plugin.name}]: {describe(error)}") from None


def _claims(plugin: LoadedPlugin) -> Claims:
    claims_hook = _start_up_hook(plugin, "cardbot_claims")
    if claims_hook is None:
        return Claims()
    try:
        returned = claims_hook()
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - sys.exit too: start-up stops with the plugin named
        raise ConfigError(f"plugin {plugin.name!r}: cardbot_claims failed ({describe(error)}); "
                          f"it must return a list of button_type strings or a mapping of claims") from None
    return read_claims(plugin.name, returned)
