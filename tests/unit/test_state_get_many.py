"""`state.card.get_many(*keys)`: several values in one read, pending writes first, missing keys left out."""

from __future__ import annotations

from cardbot.state import State, StateSnapshot


class KeyByKey:
    """A reader written before `read_state_values` existed: get_many falls back to one read per key."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.reads: list[str] = []

    def read_state(self, plugin: str, scope: str, key: str) -> str | None:
        self.reads.append(key)
        return self.values.get(key)

    def read_state_items(self, plugin: str, scope: str, prefix: str) -> list[tuple[str, str]]:
        return []


class Counting(StateSnapshot):
    def __init__(self, rows):
        super().__init__(rows)
        self.calls = 0

    def read_state_values(self, plugin, scope, keys):
        self.calls += 1
        return super().read_state_values(plugin, scope, keys)


def test_several_keys_are_read_together_with_pending_writes_first():
    reader = Counting([("om_1", "counts", '{"a": 2}'), ("om_1", "closed", "false"), ("", "total", "9")])
    state = State(reader, "vote", "om_1")
    state.card.set("closed", True)

    values = state.card.get_many("counts", "closed", "voter:ou_x")

    assert values == {"counts": {"a": 2}, "closed": True}
    assert reader.calls == 1                       # one read for the keys not pending
    assert state.plugin.get_many("total") == {"total": 9}


def test_a_deleted_key_reads_as_missing_and_values_are_fresh_copies():
    state = State(StateSnapshot([("om_1", "counts", '{"a": 2}'), ("om_1", "gone", "1")]), "vote", "om_1")
    state.card.delete("gone")
    first = state.card.get_many("counts", "gone")
    first["counts"]["a"] = 99
    assert first == {"counts": {"a": 99}}
    assert state.card.get_many("counts") == {"counts": {"a": 2}}


def test_an_older_reader_is_read_key_by_key():
    reader = KeyByKey({"counts": '{"a": 1}'})
    assert State(reader, "vote", "om_1").card.get_many("counts", "closed") == {"counts": {"a": 1}}
    assert reader.reads == ["counts", "closed"]
