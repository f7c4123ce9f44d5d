"""Typed button values: a dataclass declares a value's fields once; cardbot builds the value from it for
the card and parses and checks it when the click comes back.

    @dataclass(frozen=True)
    class Decision:
        request: str
        step: int = 1

    schema = ValueSchema(Decision)
    schema.dump(Decision("r-7"))            # {"request": "r-7", "step": 1}
    schema.load({"request": "r-7"})         # Decision(request="r-7", step=1)
    schema.load({"step": "x"})              # ValueMismatch: 'request' is missing; 'step' must be an integer

A field may be `str`, `int`, `float`, `bool`, a `Literal[...]` of those, a `list[...]`/`tuple[..., ...]` of
them, or any of these `| None`. A field with a default may be left out of a value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

V = TypeVar("V")
RESERVED = ("button_type",)
"""Fields the router writes itself: a value dataclass may not declare them."""
_SCALARS: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class ValueMismatch(ValueError):
    """A click's value does not fit its route's dataclass; the message says which field and why."""


class ValueSchema(Generic[V]):
    """How the fields of dataclass `cls` read from and write to a button value (a JSON object)."""

    def __init__(self, cls: type[V]) -> None:
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"a button value type must be a dataclass, not {cls!r}")
        self.cls = cls
        hints = typing.get_type_hints(cls)
        self.fields: dict[str, _Field] = {}
        for spec in dataclasses.fields(cls):
            if spec.name in RESERVED:
                raise TypeError(f"{cls.__name__}.{spec.name}: {spec.name} is set by the route; leave it out "
                                f"of the value's fields")
            required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            self.fields[spec.name] = _Field(spec.name, _kind(hints[spec.name], f"{cls.__name__}.{spec.name}"),
                                            required)

    def load(self, value: Mapping[str, Any], ignore: frozenset[str] = frozenset()) -> V:
        """The dataclass read from `value`; ValueMismatch naming every field that does not fit. Keys in
        `ignore` (the route's own, such as `button_type`) may be there without being fields."""
        problems = [f"{name!r} is missing" for name, field in self.fields.items()
                    if field.required and name not in value]
        unknown = sorted(set(value) - set(self.fields) - ignore)
        if unknown:
            problems.append(f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not a field "
                            f"of {self.cls.__name__}")
        read = {}
        for name, field in self.fields.items():
            if name in value:
                try:
                    read[name] = field.kind.read(value[name])
                except ValueMismatch as wrong:
                    problems.append(f"{name!r} {wrong}")
        if problems:
            raise ValueMismatch("; ".join(problems))
        return self.cls(**read)

    def dump(self, instance: V) -> dict[str, Any]:
        """`instance` as the JSON object to put in a button's value; ValueMismatch when a field holds what
        its type does not allow (the dataclass itself does not check)."""
        if not isinstance(instance, self.cls):
            raise TypeError(f"expected a {self.cls.__name__}, not {type(instance).__name__}")
        written = {}
        for name, field in self.fields.items():
            item = getattr(instance, name)
            try:
                written[name] = field.kind.write(item)
            except ValueMismatch as wrong:
                raise ValueMismatch(f"{self.cls.__name__}.{name} {wrong}") from None
        return written


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    kind: _Kind
    required: bool


class _Kind:
    """One field type: `read` checks a JSON value and converts it, `write` checks a Python value."""

    def read(self, value: Any) -> Any:
        raise NotImplementedError

    def write(self, value: Any) -> Any:
        return self.read(value)


@dataclasses.dataclass(frozen=True)
class _Scalar(_Kind):
    type: type

    def read(self, value: Any) -> Any:
        if self.type is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        raise ValueMismatch(f"must be {_SCALARS[self.type]}, not {_shown(value)}")


@dataclasses.dataclass(frozen=True)
class _Literal(_Kind):
    choices: tuple[Any, ...]

    def read(self, value: Any) -> Any:
        if any(value == choice and type(value) is type(choice) for choice in self.choices):
            return value
        raise ValueMismatch(f"must be one of {', '.join(map(repr, self.choices))}, not {_shown(value)}")


@dataclasses.dataclass(frozen=True)
class _Optional(_Kind):
    inner: _Kind

    def read(self, value: Any) -> Any:
        return None if value is None else self.inner.read(value)

    def write(self, value: Any) -> Any:
        return None if value is None else self.inner.write(value)


@dataclasses.dataclass(frozen=True)
class _Sequence(_Kind):
    item: _Kind
    as_tuple: bool

    def read(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueMismatch(f"must be a list, not {_shown(value)}")
        items = [self.item.read(item) for item in value]
        return tuple(items) if self.as_tuple else items

    def write(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueMismatch(f"must be a list, not {_shown(value)}")
        return [self.item.write(item) for item in value]


def _kind(hint: Any, where: str) -> _Kind:
    """The _Kind of a field's type hint; TypeError naming the field for a type a value cannot hold."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in _SCALARS:
        return _Scalar(hint)
    if origin is typing.Literal and all(type(arg) in _SCALARS for arg in args):
        return _Literal(args)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1:
            return _Optional(_kind(rest[0], where))
    if origin is list and len(args) == 1:
        return _Sequence(_kind(args[0], where), as_tuple=False)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _Sequence(_kind(args[0], where), as_tuple=True)
    raise TypeError(f"{where}: a button value field may be str, int, float, bool, a Literal of those, a list or "
                    f"tuple[X, ...] of them, or any of these | None; not {hint!r}")


def _shown(value: Any) -> str:
    """A value as an error message shows it: its JSON type and, when short, itself."""
    kind = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null",
            list: "list", tuple: "list"}.get(type(value), "object")
    text = repr(value)
    return f"{kind} {text}" if len(text) <= 40 and kind != "object" else kind
