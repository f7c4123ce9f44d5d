"""JSON Pointer (RFC 6901): parse `/a~1b/0` into tokens and look tokens up in a document."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ..errors import PatchError
from .json_values import json_type

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def parse_pointer(pointer: str) -> list[str]:
    """`"/a~1b/m~0n/0"` -> `["a/b", "m~n", "0"]`; `""` (the whole document) -> `[]`.

    Raises TypeError/ValueError when `pointer` is not a pointer.
    """
    if not isinstance(pointer, str):
        raise TypeError(f"a JSON pointer is a string, not {json_type(pointer)}")
    return list(_tokens(pointer))


@lru_cache(maxsize=4096)
def _tokens(pointer: str) -> tuple[str, ...]:
    """The tokens of a pointer string (a plugin writes the same few paths on every click: parsed once)."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must be empty or start with '/'")
    if _BAD_ESCAPE.search(pointer):
        raise ValueError(f"JSON pointer {pointer!r}: '~' must be followed by 0 or 1")
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def array_index(token: str, length: int, *, for_insert: bool = False) -> int:
    """The index `token` names in an array of `length` items; `-` and `length` itself only `for_insert`."""
    if for_insert and token == "-":
        return length
    if not _ARRAY_INDEX.fullmatch(token):
        raise PatchError(f"{token!r} is not an array index")
    index = int(token)
    if index > length or (index == length and not for_insert):
        raise PatchError(f"index {index} is out of range (the array has {length} items)")
    return index


def child(node: Any, token: str) -> Any:
    """The member or item `token` names in `node`; PatchError when there is none."""
    if isinstance(node, dict):
        if token not in node:
            raise PatchError(f"member {token!r} does not exist")
        return node[token]
    if isinstance(node, list):
        return node[array_index(token, len(node))]
    raise PatchError(f"cannot look up {token!r} in a {json_type(node)}")


def resolve(document: Any, tokens: list[str]) -> Any:
    """The value at `tokens` (from `parse_pointer`) in `document`; PatchError when there is none."""
    for token in tokens:
        document = child(document, token)
    return document
