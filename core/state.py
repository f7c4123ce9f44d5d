"""Plugin state that commits with the card: `state.card` for this card, `state.plugin` across cards.

    @hookimpl
    def cardbot_action(action, state):
        previous = state.card.get(f"voter:{action.operator.id}")
        state.card.set(f"voter:{action.operator.id}", action.value["option"])
        state.plugin.add("votes_cast")

Writes are held until the click commits and land in the same transaction as the card change, so
state and card never disagree; when the plugin fails, nothing it set is kept. Values are JSON.
Reads are plain calls that never block the event loop on a network: on SQLite they read the local
file (never waiting for writers); on PostgreSQL the plugin's state for this card and its plugin-wide
state are read with the card in the write that starts the click's turn, and reads come from there.
`state.card` is exact (clicks on one card are serialised). `state.plugin` is shared by every card (on
PostgreSQL it reads as it was when the turn began): `set` there is last-writer-wins across concurrent
clicks on different cards; use `add` for counters. On PostgreSQL keep a plugin's state per card and
plugin-wide small (hundreds of keys, not tens of thousands): all of it is read with every click.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Protocol

from .jsoncodec import dumps, loads

_MISSING = object()


def _dumps(value: Any) -> str:
    try:
        return dumps(value)
    except TypeError as error:
        raise TypeError(f"state values must be JSON (dict, list, str, number, bool, None): {error}") from None


class StateReader(Protocol):
    """Where committed state is read from."""

    def read_state(self, plugin: str, scope: str, key: str) -> str | None: ...

    def read_state_items(self, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]: ...


def _read_values(reader: StateReader, plugin: str, scope: str, keys: list[str]) -> dict[str, str]:
    """Committed JSON texts of `keys`: in one read when the reader offers `read_state_values`, else key by key
    (a reader written before it existed)."""
    read_many = getattr(reader, "read_state_values", None)
    if read_many is not None:
        return read_many(plugin, scope, keys)
    return {key: text for key in keys if (text := reader.read_state(plugin, scope, key)) is not None}


class StateSnapshot:
    """One plugin's committed state as read when the click's turn began: (scope, key, JSON) rows."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._values: dict[str, dict[str, str]] = {}
        for scope, key, value in rows:
            self._values.setdefault(scope, {})[key] = value

    def read_state(self, plugin: str, scope: str, key: str) -> str | None:
        return self._values.get(scope, {}).get(key)

    def read_state_items(self, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]:
        return [(key, value) for key, value in self._values.get(scope, {}).items() if key.startswith(prefix)]

    def read_state_values(self, plugin: str, scope: str, keys: list[str]) -> dict[str, str]:
        values = self._values.get(scope, {})
        return {key: values[key] for key in keys if key in values}


class StateScope:
    """A key → JSON value store of one plugin, in one scope. Reads see your own pending writes."""

    def __init__(self, reader: StateReader, plugin: str, scope: str) -> None:
        self._reader = reader
        self._plugin = plugin
        self._scope = scope
        self._pending: dict[str, str | None] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under `key` (a fresh copy), or `default`."""
        text = self._pending[key] if key in self._pending else self._reader.read_state(self._plugin, self._scope, key)
        return default if text is None else loads(text)

    def get_many(self, *keys: str) -> dict[str, Any]:
        """The values stored under `keys` (fresh copies), read together: one query instead of one per key;
        a key with no value is left out. `get_many("counts", "closed")` → `{"counts": {...}}`."""
        texts = {key: self._pending[key] for key in keys if key in self._pending}
        unread = [key for key in keys if key not in self._pending]
        if unread:
            texts.update(_read_values(self._reader, self._plugin, self._scope, unread))
        return {key: loads(text) for key in keys if (text := texts.get(key)) is not None}

    def set(self, key: str, value: Any) -> None:
        """Store `value` (JSON) under `key` when the click commits."""
        self._pending[self._check_key(key)] = _dumps(value)

    def delete(self, key: str) -> None:
        """Remove `key` when the click commits."""
        self._pending[self._check_key(key)] = None

    def items(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """Every (key, value) whose key starts with `prefix`, pending writes included, sorted by key."""
        stored: dict[str, str | None] = dict(self._reader.read_state_items(self._plugin, self._scope, prefix))
        stored.update((key, text) for key, text in self._pending.items() if key.startswith(prefix))
        for key in sorted(stored):
            text = stored[key]
            if text is not None:
                yield key, loads(text)

    def __contains__(self, key: str) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        self.delete(key)

    def writes(self) -> list[tuple[str, str, str, str | None]]:
        """Pending writes as (plugin, scope, key, JSON or None); the core commits them."""
        return [(self._plugin, self._scope, key, text) for key, text in self._pending.items()]

    @staticmethod
    def _check_key(key: str) -> str:
        if not isinstance(key, str) or not key:
            raise TypeError(f"state keys are non-empty strings, not {key!r}")
        return key


class PluginWideState(StateScope):
    """State shared by every card of one plugin; `add` is an atomic counter."""

    def __init__(self, reader: StateReader, plugin: str) -> None:
        super().__init__(reader, plugin, "")
        self._additions: dict[str, float] = {}

    def add(self, key: str, amount: float = 1) -> None:
        """Add `amount` to the number under `key` atomically when the click commits (missing counts as 0)."""
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise TypeError(f"add() takes a number, not {amount!r}")
        self._additions[self._check_key(key)] = self._additions.get(key, 0) + amount

    def additions(self) -> list[tuple[str, str, float]]:
        """Pending counter additions as (plugin, key, amount); the core commits them."""
        return [(self._plugin, key, amount) for key, amount in self._additions.items()]


class State:
    """What a plugin's action hook receives as `state`: `.card` (this card) and `.plugin` (all cards)."""

    def __init__(self, reader: StateReader, plugin: str, message_id: str) -> None:
        self.card = StateScope(reader, plugin, message_id)
        self.plugin = PluginWideState(reader, plugin)

    def writes(self) -> tuple[tuple[str, str, str, str | None], ...]:
        """Every pending write of both scopes."""
        return (*self.card.writes(), *self.plugin.writes())

    def additions(self) -> tuple[tuple[str, str, float], ...]:
        """Every pending counter addition."""
        return tuple(self.plugin.additions())
