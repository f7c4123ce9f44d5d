"""Typed button values: a dataclass read from a click's value and written to a card's, checked both ways."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import pytest

from cardbot import freeze
from cardbot.routing import ValueMismatch, ValueSchema


@dataclass(frozen=True)
class Decision:
    request: str
    amount: float
    step: int = 1
    choice: Literal["approve", "reject"] = "approve"
    note: Optional[str] = None
    tags: tuple[str, ...] = ()
    urgent: bool = False
    ids: list[int] = field(default_factory=list)


SCHEMA = ValueSchema(Decision)


def test_a_value_reads_into_its_dataclass_with_defaults_for_what_it_leaves_out():
    assert SCHEMA.load({"request": "r-7", "amount": 12}) == Decision("r-7", 12.0)


def test_what_the_dataclass_writes_it_reads_back():
    decision = Decision("r-7", 9.5, 2, "reject", "late", ("a", "b"), True, [1, 2])
    written = SCHEMA.dump(decision)
    assert written == {"request": "r-7", "amount": 9.5, "step": 2, "choice": "reject", "note": "late",
                       "tags": ["a", "b"], "urgent": True, "ids": [1, 2]}
    assert SCHEMA.load(freeze(written)) == decision  # a click's value arrives frozen: lists as tuples


def test_every_field_that_does_not_fit_is_named_in_one_message():
    with pytest.raises(ValueMismatch) as refused:
        SCHEMA.load({"amount": "12", "step": True, "choice": "maybe", "tags": "a", "extra": 1})
    message = str(refused.value)
    assert "'request' is missing" in message
    assert "'amount' must be a number, not string '12'" in message
    assert "'step' must be an integer, not boolean True" in message
    assert "'choice' must be one of 'approve', 'reject', not string 'maybe'" in message
    assert "'tags' must be a list, not string 'a'" in message
    assert "'extra' is not a field of Decision" in message


def test_keys_the_route_owns_may_be_in_the_value():
    assert SCHEMA.load({"button_type": "expense", "button_id": "ok", "request": "r", "amount": 1},
                       frozenset({"button_type", "button_id"})) == Decision("r", 1.0)


def test_writing_checks_the_fields_the_dataclass_itself_does_not():
    with pytest.raises(ValueMismatch, match=r"Decision.step must be an integer, not string 'two'"):
        SCHEMA.dump(Decision("r", 1.0, "two"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a Decision"):
        SCHEMA.dump({"request": "r"})


def test_a_type_a_json_value_cannot_hold_is_refused_when_declared():
    @dataclass
    class Odd:
        when: bytes

    with pytest.raises(TypeError, match=r"Odd.when: a button value field may be str, int, float, bool"):
        ValueSchema(Odd)


def test_only_dataclasses_and_no_button_type_field():
    with pytest.raises(TypeError, match="must be a dataclass"):
        ValueSchema(dict)

    @dataclass
    class Routed:
        button_type: str

    with pytest.raises(TypeError, match="button_type is set by the route"):
        ValueSchema(Routed)
