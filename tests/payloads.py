"""The corpus of official Lark payloads in tests/fixtures/lark_payloads/ (see its README), by name.

A payload's name is its file name without `.json` / `.raw.json`: `load_payload("trigger_checker_doc")`.
"""

from __future__ import annotations

import json
from pathlib import Path

CORPUS = Path(__file__).parent / "fixtures" / "lark_payloads"
_SUFFIXES = (".raw.json", ".json")


def payload_names(prefix: str = "") -> list[str]:
    """Every payload's name starting with `prefix`, sorted: `payload_names("trigger_")`."""
    names = {_name(path) for path in CORPUS.glob("*.json")}
    return sorted(name for name in names if name.startswith(prefix))


def raw_payload(name: str) -> bytes:
    """The payload's bytes exactly as stored (a `.raw.json` is signed over these)."""
    return _path(name).read_bytes()


def load_payload(name: str) -> dict:
    """The payload parsed; a fresh object on every call, free to change."""
    payload = json.loads(raw_payload(name))
    if not isinstance(payload, dict):
        raise ValueError(f"payload {name!r} is not a JSON object")
    return payload


def source_of(name: str) -> str:
    """The text of the payload's `.source.txt`: where it comes from and what was changed."""
    _path(name)
    return (CORPUS / f"{name}.source.txt").read_text(encoding="utf-8")


def _name(path: Path) -> str:
    return next(path.name.removesuffix(suffix) for suffix in _SUFFIXES if path.name.endswith(suffix))


def _path(name: str) -> Path:
    for suffix in _SUFFIXES:
        path = CORPUS / f"{name}{suffix}"
        if path.is_file():
            return path
    raise KeyError(f"no payload {name!r} in {CORPUS}")
