"""RFC 6902 JSON Patch (every appendix A example) and RFC 6901 JSON Pointer, through `Patch.json_patch`."""

import json

import pytest

from cardbot.errors import PatchError
from cardbot.patches import Patch, apply_patch
from cardbot.patches.pointer import parse_pointer, resolve


def run(document, *operations):
    return apply_patch(document, Patch.json_patch(list(operations)))


# RFC 6902 appendix A, the examples that succeed: (section, document, operations, result).
RFC_6902_SUCCESSES = [
    ("A.1", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    (
        "A.2",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    ("A.3", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ("A.4", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    (
        "A.5",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.10",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    ("A.14", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    (
        "A.16",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
]


@pytest.mark.parametrize(("section", "document", "operations", "expected"), RFC_6902_SUCCESSES)
def test_rfc_6902_appendix_a(section, document, operations, expected):
    assert run(document, *operations) == expected


def test_a9_a_failing_test_is_an_error():
    with pytest.raises(PatchError, match=r"operation 0 \(test '/baz'\): test failed"):
        run({"baz": "qux"}, {"op": "test", "path": "/baz", "value": "bar"})


def test_a12_adding_to_a_nonexistent_target_is_an_error():
    with pytest.raises(PatchError, match="member 'baz' does not exist"):
        run({"foo": "bar"}, {"op": "add", "path": "/baz/bat", "value": "qux"})


def test_a13_a_document_with_two_ops_is_not_an_add():
    # A Python dict cannot hold two "op" members; JSON parsing keeps the last one, "remove", which fails
    # here, so the document is never treated as an "add".
    operation = json.loads('{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}')
    with pytest.raises(PatchError, match=r"\(remove '/baz'\): member 'baz' does not exist"):
        run({"foo": "bar"}, operation)


def test_a15_strings_and_numbers_differ():
    with pytest.raises(PatchError, match="test failed"):
        run({"/": 9, "~1": 10}, {"op": "test", "path": "/~01", "value": "10"})


# RFC 6901 section 5: every pointer of the example document.
RFC_6901_DOCUMENT = {
    "foo": ["bar", "baz"],
    "": 0,
    "a/b": 1,
    "c%d": 2,
    "e^f": 3,
    "g|h": 4,
    "i\\j": 5,
    'k"l': 6,
    " ": 7,
    "m~n": 8,
}
RFC_6901_POINTERS = [
    ("", RFC_6901_DOCUMENT),
    ("/foo", ["bar", "baz"]),
    ("/foo/0", "bar"),
    ("/", 0),
    ("/a~1b", 1),
    ("/c%d", 2),
    ("/e^f", 3),
    ("/g|h", 4),
    ("/i\\j", 5),
    ('/k"l', 6),
    ("/ ", 7),
    ("/m~0n", 8),
]


@pytest.mark.parametrize(("pointer", "expected"), RFC_6901_POINTERS)
def test_rfc_6901_pointers(pointer, expected):
    assert resolve(RFC_6901_DOCUMENT, parse_pointer(pointer)) == expected
    run(RFC_6901_DOCUMENT, {"op": "test", "path": pointer, "value": expected})


def test_tilde_escapes_unescape_in_order():
    assert parse_pointer("/~01/~10/a~1~0b") == ["~1", "/0", "a/~b"]


@pytest.mark.parametrize(
    ("pointer", "message"),
    [("foo", "must be empty or start with '/'"), ("/a~2", "'~' must be followed by 0 or 1"), ("/a~", "'~'")],
)
def test_malformed_pointers_are_refused_when_the_patch_is_built(pointer, message):
    with pytest.raises(ValueError, match=message):
        Patch.json_patch([{"op": "remove", "path": pointer}])


@pytest.mark.parametrize(
    ("document", "operation", "message"),
    [
        ({"a": [1, 2]}, {"op": "remove", "path": "/a/01"}, "'01' is not an array index"),
        ({"a": [1, 2]}, {"op": "remove", "path": "/a/-"}, "'-' is not an array index"),
        ({"a": [1, 2]}, {"op": "remove", "path": "/a/2"}, "index 2 is out of range"),
        ({"a": [1, 2]}, {"op": "add", "path": "/a/3", "value": 0}, "index 3 is out of range"),
        ({"a": "text"}, {"op": "add", "path": "/a/b", "value": 0}, "cannot add 'b' to a string"),
        ({"a": "text"}, {"op": "remove", "path": "/a/b"}, "cannot remove 'b' from a string"),
        ({"a": 1}, {"op": "test", "path": "/a/b", "value": 0}, "cannot look up 'b' in a number"),
        ({"a": 1}, {"op": "replace", "path": "/b", "value": 0}, "member 'b' does not exist"),
        ({"a": {"b": {}}}, {"op": "move", "from": "/a", "path": "/a/b/c"}, "into one of its own children"),
        ({"a": 1}, {"op": "remove", "path": ""}, "cannot remove the whole document"),
        ({"a": 1}, {"op": "copy", "from": "/missing", "path": "/b"}, "member 'missing' does not exist"),
        ({"a": 1}, {"op": "replace", "path": "", "value": [1]}, "the card must stay a JSON object, not become array"),
    ],
)
def test_operations_that_cannot_apply(document, operation, message):
    with pytest.raises(PatchError, match=message):
        run(document, operation)


def test_errors_name_the_patch_op_and_the_operation():
    with pytest.raises(PatchError, match=r"^patch op 1 \(json_patch\): operation 1 \(remove '/b'\): member 'b'"):
        apply_patch(
            {"a": 1},
            Patch.merge({"c": 2}).json_patch(
                [{"op": "test", "path": "/a", "value": 1}, {"op": "remove", "path": "/b"}]
            ),
        )


def test_add_at_an_array_end_and_replace_an_item():
    added = {"op": "add", "path": "/a/1", "value": 2}
    replaced = {"op": "replace", "path": "/a/0", "value": 0}
    assert run({"a": [1]}, added, replaced) == {"a": [0, 2]}


def test_replace_keeps_member_order_and_root_replace_works():
    assert list(run({"a": 1, "b": 2}, {"op": "replace", "path": "/a", "value": 3})) == ["a", "b"]
    assert run({"a": 1}, {"op": "replace", "path": "", "value": {"b": 2}}) == {"b": 2}


def test_move_onto_itself_changes_nothing():
    assert run({"a": {"b": 1}}, {"op": "move", "from": "/a", "path": "/a"}) == {"a": {"b": 1}}


def test_copy_makes_an_independent_value():
    result = run(
        {"a": {"b": [1]}},
        {"op": "copy", "from": "/a", "path": "/c"},
        {"op": "add", "path": "/c/b/-", "value": 2},
    )
    assert result == {"a": {"b": [1]}, "c": {"b": [1, 2]}}


def test_test_compares_as_json():
    run({"a": [1, {"b": None}]}, {"op": "test", "path": "/a", "value": [1.0, {"b": None}]})
    with pytest.raises(PatchError, match="test failed"):
        run({"a": True}, {"op": "test", "path": "/a", "value": 1})
    with pytest.raises(PatchError, match="test failed"):
        run({"a": {"b": 1}}, {"op": "test", "path": "/a", "value": {"b": 1, "c": 2}})


def test_a_failed_operation_leaves_the_document_alone():
    document = {"a": [1, 2]}
    with pytest.raises(PatchError):
        run(document, {"op": "remove", "path": "/a/0"}, {"op": "test", "path": "/a/0", "value": 1})
    assert document == {"a": [1, 2]}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "launch", "path": "/a"}, "'op' must be one of add, remove"),
        ({"op": "add", "path": "/a"}, r"json_patch operation 0 \(add\) needs a 'value' member"),
        ({"op": "move", "path": "/a"}, "needs a 'from' member"),
        ({"op": "remove"}, "needs a 'path' member"),
        ({"op": "remove", "path": 3}, "a JSON pointer is a string, not number"),
    ],
)
def test_malformed_operations_are_refused_when_the_patch_is_built(operation, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Patch.json_patch([operation])


def test_operations_must_be_an_array_of_objects():
    with pytest.raises(TypeError, match="'operations' must be an array"):
        Patch.json_patch({"op": "remove", "path": "/a"})
    with pytest.raises(TypeError, match="json_patch operation 0 must be a JSON object"):
        Patch.json_patch(["remove /a"])
