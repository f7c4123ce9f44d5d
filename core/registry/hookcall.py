"""`HookCall`: one plugin's implementation of one hook, called with just the arguments it declares (pluggy's
rule), and the arguments each hook gives.

    call = HookCall.of(function)                 # argnames from its signature
    call, kwargs = call.select(kwargs)           # a router picks the handler for these arguments
    result = call(**kwargs)
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .. import hookspecs


class HookCall:
    """A callable hook implementation: `function`, the `argnames` it takes, whether it `is_async`."""

    __slots__ = ("function", "argnames", "is_async")

    def __init__(self, function: Callable[..., Any], argnames: tuple[str, ...]) -> None:
        self.function = function
        self.argnames = argnames
        self.is_async = inspect.iscoroutinefunction(function)

    @classmethod
    def of(cls, function: Callable[..., Any]) -> HookCall:
        """A HookCall passing `function` every parameter it names."""
        return cls(function, parameter_names(function))

    def select(self, kwargs: dict[str, Any]) -> tuple[HookCall, dict[str, Any]]:
        """The implementation to call for these arguments, and the arguments to give it: itself, for a plain
        hook; a router's hook picks the handler of the route that matches (and may add arguments)."""
        return self, kwargs

    def __call__(self, **kwargs: Any) -> Any:
        return self.function(**{name: kwargs[name] for name in self.argnames})


def parameter_names(function: Callable[..., Any]) -> tuple[str, ...]:
    """The names `function` can be called with by keyword (a bound method's `self` left out)."""
    parameters = inspect.signature(function).parameters.values()
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def hook_arguments(hook_name: str) -> tuple[str, ...]:
    """The arguments cardbot gives implementations of `hook_name` (its specification's parameters)."""
    return parameter_names(getattr(hookspecs, hook_name))
