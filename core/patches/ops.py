"""The patch ops, as JSON, and the checks that keep them well formed.

    {"op": "replace", "card": {...}}                        replace the whole card
    {"op": "merge", "patch": {...}}                         RFC 7396 merge patch on the card
    {"op": "json_patch", "operations": [{"op": "add", "path": "/x", "value": 1}, ...]}   RFC 6902
    {"op": "elements", "locale": null | "zh_cn", "elements": [...]}   replace one element list
    {"op": "element", "target": {"element_id": "x"} | {"button_id": "x"} | {"name": "x"}, "action": ACTION, ...}
        "replace" + "element": {...}    "merge" + "patch": {...}    "remove"
        "insert_before" / "insert_after" + "elements": [...]
    {"op": "variables", "variables": {...}}                 merge into a template card's template_variable
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .json_patch import OPERATION_MEMBERS
from .json_values import ensure_json, freeze_json, json_type
from .pointer import parse_pointer

TARGET_KINDS = ("element_id", "button_id", "name")
ELEMENT_ACTIONS: dict[str, str | None] = {
    "replace": "element",
    "merge": "patch",
    "remove": None,
    "insert_before": "elements",
    "insert_after": "elements",
}
"""Each element action and the op member that carries its payload."""

Op = Mapping[str, Any]


def check_op(op: Any) -> None:
    """Raise TypeError/ValueError saying what is wrong with one op (shapes in the module docstring)."""
    check_op_shape(op)
    ensure_json(op, f"{op['op']} op")


def frozen_op(op: Any) -> Op:
    """`op` checked (as check_op does) and frozen, its values walked once."""
    check_op_shape(op)
    return freeze_json(op, f"{op['op']} op")


def check_op_shape(op: Any) -> None:
    """check_op without the walk through its values that makes sure they are JSON."""
    if not isinstance(op, dict):
        raise TypeError(f"a patch op is a JSON object, not {json_type(op)}")
    name = op.get("op")
    check = _CHECKS.get(name) if isinstance(name, str) else None
    if check is None:
        raise ValueError(f"unknown patch op {op.get('op')!r}; expected one of {', '.join(_CHECKS)}")
    check(op)


def check_target(target: Any) -> None:
    """Check an element op's target: `{"element_id": "x"}`, `{"button_id": "x"}` or `{"name": "x"}`."""
    if not isinstance(target, dict) or len(target) != 1 or next(iter(target)) not in TARGET_KINDS:
        raise ValueError(f"an element target is {{'element_id': ...}}, {{'button_id': ...}} or {{'name': ...}}, "
                         f"not {target!r}")
    (kind, wanted), = target.items()
    if not isinstance(wanted, str) or not wanted:
        raise TypeError(f"{kind} must be a non-empty string, not {wanted!r}")


def _check_replace(op: Op) -> None:
    _members(op, "card")
    _object(op["card"], "replace op: 'card'")


def _check_merge(op: Op) -> None:
    _members(op, "patch")
    _object(op["patch"], "merge op: 'patch'")


def _check_json_patch(op: Op) -> None:
    _members(op, "operations")
    operations = op["operations"]
    if not isinstance(operations, (list, tuple)):
        raise TypeError(f"json_patch op: 'operations' must be an array, not {json_type(operations)}")
    for index, operation in enumerate(operations):
        where = f"json_patch operation {index}"
        _object(operation, where)
        name = operation.get("op")
        if name not in OPERATION_MEMBERS:
            raise ValueError(f"{where}: 'op' must be one of {', '.join(OPERATION_MEMBERS)}, not {name!r}")
        for member in OPERATION_MEMBERS[name]:
            if member not in operation:
                raise ValueError(f"{where} ({name}) needs a {member!r} member")
        for member in ("path", "from"):
            if member in operation:
                try:
                    parse_pointer(operation[member])
                except (TypeError, ValueError) as err:
                    raise type(err)(f"{where} ({name}): {err}") from None


def _check_elements(op: Op) -> None:
    _members(op, "locale", "elements")
    locale = op["locale"]
    if locale is not None and (not isinstance(locale, str) or not locale):
        raise TypeError(f"elements op: 'locale' must be null or a locale key like 'zh_cn', not {locale!r}")
    _element_list(op["elements"], "elements op: 'elements'", allow_empty=True)


def _check_element(op: Op) -> None:
    action = op.get("action")
    if action not in ELEMENT_ACTIONS:
        raise ValueError(f"element op: 'action' must be one of {', '.join(ELEMENT_ACTIONS)}, not {action!r}")
    payload = ELEMENT_ACTIONS[action]
    _members(op, "target", "action", *([payload] if payload else []))
    check_target(op["target"])
    where = f"element op ({action}): {payload!r}"
    if payload == "element":
        _element(op["element"], where)
    elif payload == "patch":
        _object(op["patch"], where)
    elif payload == "elements":
        _element_list(op["elements"], where, allow_empty=False)


def _check_variables(op: Op) -> None:
    _members(op, "variables")
    _object(op["variables"], "variables op: 'variables'")


_CHECKS: dict[str, Callable[[Op], None]] = {
    "replace": _check_replace,
    "merge": _check_merge,
    "json_patch": _check_json_patch,
    "elements": _check_elements,
    "element": _check_element,
    "variables": _check_variables,
}


def _members(op: Op, *required: str) -> None:
    missing = [name for name in required if name not in op]
    unexpected = sorted(op.keys() - {"op", *required})
    if missing or unexpected:
        problems = [f"missing {name!r}" for name in missing] + [f"unexpected {name!r}" for name in unexpected]
        raise ValueError(f"{op['op']} op: {', '.join(problems)}")


def _object(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise TypeError(f"{where} must be a JSON object, not {json_type(value)}")


def _element(value: Any, where: str) -> None:
    _object(value, where)
    if not isinstance(value.get("tag"), str):
        raise ValueError(f"{where} must be an element: an object with a string 'tag'")


def _element_list(value: Any, where: str, *, allow_empty: bool) -> None:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{where} must be an array of elements, not {json_type(value)}")
    if not value and not allow_empty:
        raise ValueError(f"{where} needs at least one element")
    for index, element in enumerate(value):
        _element(element, f"{where}[{index}]")
