"""Read-only JSON values: what plugins receive when they must not change what they are given."""

from __future__ import annotations

from typing import Any, NoReturn


class FrozenDict(dict):
    """A dict that refuses changes; still a dict, so `json.dumps` and `==` work as usual.

        >>> value = freeze({"button_type": "vote", "option": "a"})
        >>> value["option"]
        'a'
        >>> value["option"] = "b"
        Traceback (most recent call last):
        TypeError: this mapping is read-only; copy it with thaw() or dict() to change it
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("this mapping is read-only; copy it with thaw() or dict() to change it")

    __setitem__ = __delitem__ = __ior__ = _refuse  # type: ignore[assignment]
    clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: dict) -> FrozenDict:
        return self

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


MAX_DEPTH = 64
"""Deepest nesting `freeze` accepts (a component's value from a callback is untrusted input)."""


def freeze(value: Any, _depth: int = 0) -> Any:
    """Return `value` with every dict made a FrozenDict and every list a tuple (JSON still serialises it).

    Raises ValueError when `value` nests deeper than MAX_DEPTH.
    """
    if isinstance(value, dict):
        if _depth >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return FrozenDict({key: freeze(item, _depth + 1) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        if _depth >= MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        return tuple(freeze(item, _depth + 1) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Return a plain, mutable copy of a frozen (or any JSON-like) value."""
    if isinstance(value, dict):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value
