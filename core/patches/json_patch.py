"""JSON Patch (RFC 6902): add, remove, replace, move, copy and test, applied to a private document."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import PatchError
from ..frozen import thaw
from .json_values import json_equal, json_type
from .pointer import array_index, child, parse_pointer, resolve

Operation = Mapping[str, Any]


def apply_json_patch(document: Any, operations: Sequence[Operation]) -> Any:
    """Apply `operations` in order and return the result; `document` is changed in place, so pass a copy.

    Operations are assumed well formed (`ops.check_op` checks them); PatchError names the one that fails.
    """
    for index, operation in enumerate(operations):
        name = operation["op"]
        try:
            document = _OPERATIONS[name](document, operation)
        except PatchError as err:
            raise PatchError(f"operation {index} ({name} {operation['path']!r}): {err}") from None
    return document


def _add(document: Any, operation: Operation) -> Any:
    return _insert(document, parse_pointer(operation["path"]), thaw(operation["value"]))


def _remove(document: Any, operation: Operation) -> Any:
    _take(document, parse_pointer(operation["path"]))
    return document


def _replace(document: Any, operation: Operation) -> Any:
    tokens, value = parse_pointer(operation["path"]), thaw(operation["value"])
    if not tokens:
        return value
    parent, key = resolve(document, tokens[:-1]), tokens[-1]
    child(parent, key)  # the target must exist
    parent[int(key) if isinstance(parent, list) else key] = value
    return document


def _move(document: Any, operation: Operation) -> Any:
    source, target = parse_pointer(operation["from"]), parse_pointer(operation["path"])
    if source == target:
        resolve(document, source)  # a move onto itself changes nothing, but the value must exist
        return document
    if target[: len(source)] == source:
        raise PatchError(f"cannot move {operation['from']!r} into one of its own children")
    return _insert(document, target, _take(document, source))


def _copy(document: Any, operation: Operation) -> Any:
    value = thaw(resolve(document, parse_pointer(operation["from"])))
    return _insert(document, parse_pointer(operation["path"]), value)


def _test(document: Any, operation: Operation) -> Any:
    if not json_equal(resolve(document, parse_pointer(operation["path"])), operation["value"]):
        raise PatchError("test failed: the value there is different")
    return document


def _insert(document: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent, key = resolve(document, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        parent[key] = value
    elif isinstance(parent, list):
        parent.insert(array_index(key, len(parent), for_insert=True), value)
    else:
        raise PatchError(f"cannot add {key!r} to a {json_type(parent)}")
    return document


def _take(document: Any, tokens: list[str]) -> Any:
    """Remove the value at `tokens` and return it."""
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent, key = resolve(document, tokens[:-1]), tokens[-1]
    if isinstance(parent, dict):
        child(parent, key)
        return parent.pop(key)
    if isinstance(parent, list):
        return parent.pop(array_index(key, len(parent)))
    raise PatchError(f"cannot remove {key!r} from a {json_type(parent)}")


_OPERATIONS: dict[str, Callable[[Any, Operation], Any]] = {
    "add": _add,
    "remove": _remove,
    "replace": _replace,
    "move": _move,
    "copy": _copy,
    "test": _test,
}

OPERATION_MEMBERS: dict[str, tuple[str, ...]] = {
    "add": ("path", "value"),
    "remove": ("path",),
    "replace": ("path", "value"),
    "move": ("from", "path"),
    "copy": ("from", "path"),
    "test": ("path", "value"),
}
"""The members each operation needs besides `op` (RFC 6902 section 4); others are ignored."""
