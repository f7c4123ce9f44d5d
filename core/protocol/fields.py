"""Read typed fields out of a callback's JSON, refusing a mistyped one with a 400 that names its path.

    event = object_field(payload, "event", "")                           # or 400 "event must be a JSON object"
    message_id = required_text(context, "open_message_id", "event.context.")

`where` is the path of `parent` with a trailing dot ("event.context."), so messages read as full paths.
"""

from __future__ import annotations

from typing import Any

from ..action import Operator
from ..errors import CallbackRejected
from ..frozen import FrozenDict, freeze

ID_KEYS = ("open_id", "user_id", "union_id")


def refuse(where: str, key: str, expected: str) -> CallbackRejected:
    """The 400 for `where + key` not being `expected` ("a string", "a JSON object", …)."""
    return CallbackRejected(400, f"{where}{key} must be {expected}")


def object_field(parent: dict[str, Any], key: str, where: str, *, required: bool = True) -> dict[str, Any]:
    """`parent[key]`, a JSON object; {} when absent and not `required`."""
    value = parent.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise refuse(where, key, "a JSON object")
    return value


def text_field(parent: dict[str, Any], key: str, where: str) -> str | None:
    """`parent[key]`, a string, or None when absent."""
    value = parent.get(key)
    if value is not None and not isinstance(value, str):
        raise refuse(where, key, "a string")
    return value


def required_text(parent: dict[str, Any], key: str, where: str) -> str:
    """`parent[key]`, a non-empty string."""
    value = text_field(parent, key, where)
    if not value:
        raise refuse(where, key, "a non-empty string")
    return value


def texts_field(parent: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """`parent[key]`, a list of strings, as a tuple; () when absent."""
    value = parent.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise refuse(where, key, "a list of strings")
    return tuple(value)


def flag_field(parent: dict[str, Any], key: str, where: str) -> bool | None:
    """`parent[key]`, true or false, or None when absent."""
    value = parent.get(key)
    if value is not None and not isinstance(value, bool):
        raise refuse(where, key, "true or false")
    return value


def frozen_field(value: dict[str, Any], where: str) -> FrozenDict:
    """`value` made read-only (`freeze`); 400 when it nests too deeply."""
    try:
        return freeze(value)
    except ValueError as error:
        raise CallbackRejected(400, f"{where} is {error}") from None


def operator_of(fields: dict[str, Any], where: str, fallback_tenant: str | None) -> Operator:
    """Every id `fields` names (an operator, a sender_id). `user_id` may be an object holding all three:
    its ids fill the gaps. An empty id names nobody; 400 when no id is left."""
    nested = fields["user_id"] if isinstance(fields.get("user_id"), dict) else {}
    top = {key: text_field(fields, key, where) for key in ID_KEYS if not (key == "user_id" and nested)}
    inner = {key: text_field(nested, key, where + "user_id.") for key in ID_KEYS}
    ids = {key: top.get(key) or inner[key] or None for key in ID_KEYS}
    if not any(ids.values()):
        raise refuse(where, "open_id (or user_id or union_id)", "a non-empty string")
    return Operator(**ids, tenant_key=text_field(fields, "tenant_key", where) or fallback_tenant)
