"""JSON Merge Patch (RFC 7396)."""

from __future__ import annotations

from typing import Any

from ..frozen import thaw


def merge_into(target: Any, patch: Any) -> Any:
    """Return `target` with the RFC 7396 merge `patch` applied: `null` removes a member, objects merge,
    anything else replaces. Objects of `target` are changed in place (pass a copy); values taken from
    `patch` are copied, so the result never shares them.
    """
    if not isinstance(patch, dict):
        return thaw(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_into(target.get(key), value)
    return target
