"""`Router`: declare which function handles which clicks, commands and timers, in one place with the claim.

    router = Router()

    @dataclass(frozen=True)
    class Decision:
        request: str

    @router.click("expense", button_id="approve", value=Decision)
    def approve(action, value: Decision, state):       # any of cardbot_action's arguments, plus `value`
        ...

    @router.click(name="reject_form")                  # clicks by the component's name (a form's submit)
    def reject(action): ...

    @router.command("expense")                         # chat commands: cardbot_command's arguments
    def expense(command, outbox): ...

    @router.timer("remind:*")                          # timers by key (`*` matches any run of characters)
    def remind(timer, card, state): ...

    router.value(Decision("r-7"), route=approve)       # {"button_type": "expense", "button_id": "approve",
                                                       #  "request": "r-7"}: the value to put on the button

A module with a Router (or a Router named as the plugin, `module = "pkg:router"`) is a plugin: cardbot
derives `cardbot_claims` from its routes and calls the handler of the route that matches. The module may
still implement other hooks (`cardbot_startup`, `cardbot_event`, …) as plain `@hookimpl` functions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from ..errors import ActionFailed
from ..registry.claims import Claims
from ..registry.hookcall import HookCall, hook_arguments, parameter_names
from .values import ValueMismatch, ValueSchema

log = logging.getLogger("cardbot.routes")
F = TypeVar("F", bound=Callable[..., Any])
VALUE_ARGUMENT = "value"
"""The extra argument a click handler whose route has a value type gets: the parsed dataclass."""


class NoRoute(ActionFailed):
    """A click, command or timer reached the plugin but no route of its router matches it."""


class ValueRefused(ActionFailed):
    """A click's value does not fit its route's value dataclass; the plugin's handler never sees it."""


@dataclass(frozen=True)
class ClickRoute:
    """Clicks whose value has `button_type` and the `fields` given (or, with no button_type, whose component
    has `name`), handled by `handler`; `schema` reads the value into its dataclass."""

    handler: HookCall
    button_type: str | None
    name: str | None
    fields: Mapping[str, Any]
    schema: ValueSchema[Any] | None

    def matches(self, button_type: str | None, name: str | None, value: Mapping[str, Any]) -> bool:
        if self.button_type is not None:
            if button_type != self.button_type:
                return False
        elif name != self.name:
            return False
        return all(key in value and value[key] == wanted for key, wanted in self.fields.items())

    def describe(self) -> str:
        base = f"button_type {self.button_type!r}" if self.button_type is not None else f"name {self.name!r}"
        return base + "".join(f", {key}={wanted!r}" for key, wanted in self.fields.items())


@dataclass(frozen=True)
class KeyRoute:
    """Commands by name, or timers by key pattern (`*` matches any run of characters), handled by `handler`."""

    handler: HookCall
    pattern: str

    def matches(self, key: str) -> bool:
        return _glob(self.pattern).fullmatch(key) is not None


@dataclass
class Router:
    """A plugin's routes: which handler takes which clicks, commands and timers (see the module docstring)."""

    clicks: list[ClickRoute] = field(default_factory=list)
    commands: list[KeyRoute] = field(default_factory=list)
    timers: list[KeyRoute] = field(default_factory=list)

    def click(self, button_type: str | None = None, *, name: str | None = None, value: type | None = None,
              **fields: str | int | bool) -> Callable[[F], F]:
        """Route clicks to the decorated function: by `button_type` (and value `fields` that must equal what is
        given, such as `button_id="approve"`), or by component `name`. With `value=` a dataclass, the click's
        value is parsed into it and given as the handler's `value` argument; a value that does not fit is
        refused with an error toast before the handler runs. The handler takes any of `cardbot_action`'s
        arguments and returns what it returns (a Patch or None)."""
        if (button_type is None) == (name is None):
            raise TypeError("route clicks by a button_type or by a component name (name=…), one of the two")
        if name is not None and fields:
            raise TypeError("a route by component name cannot also match value fields")
        schema: ValueSchema[Any] | None = ValueSchema(value) if value is not None else None

        def add(function: F) -> F:
            handler = _handler(function, "cardbot_action", extra=(VALUE_ARGUMENT,) if schema else ())
            route = ClickRoute(handler, button_type, name, dict(fields), schema)
            clash = next((r for r in self.clicks if (r.button_type, r.name, r.fields) ==
                          (route.button_type, route.name, route.fields)), None)
            if clash is not None:
                raise ValueError(f"{_name(function)} and {_name(clash.handler.function)} both route clicks with "
                                 f"{route.describe()}")
            self.clicks.append(route)
            self.clicks.sort(key=lambda r: -len(r.fields))  # the most specific route is tried first
            return function
        return add

    def command(self, name: str) -> Callable[[F], F]:
        """Route the chat command `name` (its first word, lower case) to the decorated function, which takes
        any of `cardbot_command`'s arguments and returns what it returns (a reply or None)."""
        if not isinstance(name, str) or "*" in name:
            raise TypeError(f"a command route names one command, not {name!r}")

        def add(function: F) -> F:
            self.commands.append(KeyRoute(_handler(function, "cardbot_command"), name))
            return function
        return add

    def timer(self, key: str) -> Callable[[F], F]:
        """Route timers whose key matches `key` (`remind:*` matches `remind:om_1`) to the decorated function,
        which takes any of `cardbot_timer`'s arguments and returns what it returns (a Patch or None)."""
        if not isinstance(key, str) or not key:
            raise TypeError(f"a timer route needs a key or key pattern, not {key!r}")

        def add(function: F) -> F:
            self.timers.append(KeyRoute(_handler(function, "cardbot_timer"), key))
            return function
        return add

    def value(self, data: Any = None, *, route: Callable[..., Any] | None = None) -> dict[str, Any]:
        """The callback value to put on a component so that its click reaches `route` (a decorated handler)
        with `data` (an instance of its value dataclass): its button_type, its fields, then `data`'s fields.
        `route` may be left out when only one route takes `data`'s type."""
        chosen = self._route_for(data, route)
        if chosen.button_type is None:
            raise TypeError(f"{_name(chosen.handler.function)} routes by component name: the click carries the "
                            f"component's name, not a value")
        if chosen.schema is None and data is not None:
            raise TypeError(f"{_name(chosen.handler.function)}'s route declares no value type; pass no data")
        if chosen.schema is not None and data is None:
            raise TypeError(f"{_name(chosen.handler.function)} takes a {chosen.schema.cls.__name__} value")
        written = {"button_type": chosen.button_type, **chosen.fields}
        return written | chosen.schema.dump(data) if chosen.schema else written

    def button(self, text: str, data: Any = None, *, route: Callable[..., Any] | None = None,
               type: str = "default", element_id: str | None = None, **extra: Any) -> dict[str, Any]:
        """A JSON 2.0 card button whose click reaches `route` with `data` (as `value`); `extra` keys (`size`,
        `width`, `confirm`, …) are added to the element as they are."""
        element: dict[str, Any] = {"tag": "button", "text": {"tag": "plain_text", "content": text}, "type": type}
        if element_id is not None:
            element["element_id"] = element_id
        element["behaviors"] = [{"type": "callback", "value": self.value(data, route=route)}]
        return element | extra

    def claims(self) -> Claims:
        """What the routes claim: their button_types, component names and commands."""
        return Claims(button_types=_unique(r.button_type for r in self.clicks if r.button_type is not None),
                      names=_unique(r.name for r in self.clicks if r.name is not None),
                      commands=_unique(r.pattern for r in self.commands))

    def hooks(self) -> dict[str, HookCall]:
        """The hooks this router implements: `cardbot_action`, `cardbot_command`, `cardbot_timer` for the
        kinds it has routes for (claims are read with `claims()`)."""
        hooks: dict[str, HookCall] = {}
        if self.clicks:
            hooks["cardbot_action"] = _RoutedHook(self._select_click, hook_arguments("cardbot_action"))
        if self.commands:
            hooks["cardbot_command"] = _RoutedHook(self._select_command, hook_arguments("cardbot_command"))
        if self.timers:
            hooks["cardbot_timer"] = _RoutedHook(self._select_timer, hook_arguments("cardbot_timer"))
        return hooks

    def _select_click(self, kwargs: dict[str, Any]) -> tuple[HookCall, dict[str, Any]]:
        action = kwargs["action"]
        value = action.value
        route = next((r for r in self.clicks if r.matches(action.button_type, action.name, value)), None)
        if route is None:
            log.warning("no route takes the click on %s (button_type %r, name %r, value %s); it was refused",
                        action.card_id, action.button_type, action.name, dict(value) or action.value_text)
            raise NoRoute("This button is not handled by the bot.", i18n={"zh_cn": "这个按钮不由机器人处理。"})
        if route.schema is None:
            return route.handler, kwargs
        try:
            if action.value_text is not None:
                raise ValueMismatch(f"the value is the string {action.value_text!r}, not an object")
            parsed = route.schema.load(value, frozenset(("button_type", *route.fields)))
        except ValueMismatch as mismatch:
            log.warning("click on %s refused: its value does not fit %s (%s): %s", action.card_id,
                        route.schema.cls.__name__, route.describe(), mismatch)
            raise ValueRefused("This button's data is not what the bot expects; nothing was done.",
                               i18n={"zh_cn": "按钮数据与机器人预期不符，未做任何操作。"}) from None
        return route.handler, kwargs | {VALUE_ARGUMENT: parsed}

    def _select_command(self, kwargs: dict[str, Any]) -> tuple[HookCall, dict[str, Any]]:
        name = kwargs["command"].name
        route = next((r for r in self.commands if r.pattern == name), None)
        if route is None:
            raise NoRoute(f"no route takes the command {name!r}")
        return route.handler, kwargs

    def _select_timer(self, kwargs: dict[str, Any]) -> tuple[HookCall, dict[str, Any]]:
        key = kwargs["timer"].key
        route = next((r for r in self.timers if r.matches(key)), None)
        if route is None:
            raise NoRoute(f"no timer route matches the key {key!r}")
        return route.handler, kwargs

    def _route_for(self, data: Any, route: Callable[..., Any] | None) -> ClickRoute:
        if route is not None:
            found = next((r for r in self.clicks if r.handler.function is route), None)
            if found is None:
                raise ValueError(f"{_name(route)} is not a click route of this router")
            return found
        takers = [r for r in self.clicks if r.schema is not None and isinstance(data, r.schema.cls)]
        if len(takers) != 1:
            raise TypeError(f"{len(takers)} routes take a {type(data).__name__}: name one with route=…"
                            if takers else f"no route takes a {type(data).__name__} value")
        return takers[0]


class _RoutedHook(HookCall):
    """A hook whose implementation is the handler of the route its arguments match: its `function` chooses."""

    __slots__ = ()

    def select(self, kwargs: dict[str, Any]) -> tuple[HookCall, dict[str, Any]]:
        return self.function(kwargs)

    def __call__(self, **kwargs: Any) -> Any:
        handler, given = self.select(kwargs)
        return handler(**given)


def find_router(plugin: Any) -> Router | None:
    """The Router a loaded plugin object is or holds as a module attribute; TypeError when it holds two."""
    if isinstance(plugin, Router):
        return plugin
    found = {id(value): value for value in vars(plugin).values() if isinstance(value, Router)} \
        if hasattr(plugin, "__dict__") else {}
    if len(found) > 1:
        raise TypeError("it holds more than one cardbot.Router; a plugin has one (put every route on it)")
    return next(iter(found.values()), None)


def _handler(function: Callable[..., Any], hook_name: str, extra: tuple[str, ...] = ()) -> HookCall:
    """`function` as a handler of `hook_name`'s arguments (and `extra`); TypeError for one it cannot be given."""
    if not callable(function):
        raise TypeError(f"a route handler must be a function, not {function!r}")
    given = hook_arguments(hook_name) + extra
    unknown = [name for name in parameter_names(function) if name not in given]
    if unknown:
        hint = " (a route with value=YourDataclass gives `value`)" if VALUE_ARGUMENT in unknown else ""
        raise TypeError(f"{_name(function)} takes {', '.join(map(repr, unknown))}, which {hook_name} handlers are "
                        f"not given{hint}; they may take: {', '.join(given)}")
    return HookCall.of(function)


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", repr(function))


def _unique(items: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
