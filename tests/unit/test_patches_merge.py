"""RFC 7396 JSON Merge Patch: the RFC's appendix A, on its own and as `Patch.merge` / element merges."""

import pytest

from cardbot.errors import PatchError
from cardbot.patches import Patch, apply_patch
from cardbot.patches.merge_patch import merge_into

# RFC 7396 appendix A: (original, patch, result), every row.
RFC_7396_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "expected"), RFC_7396_EXAMPLES)
def test_rfc_7396_appendix(original, patch, expected):
    assert merge_into(original, patch) == expected


OBJECT_EXAMPLES = [row for row in RFC_7396_EXAMPLES if isinstance(row[0], dict) and isinstance(row[1], dict)]


@pytest.mark.parametrize(("original", "patch", "expected"), OBJECT_EXAMPLES)
def test_rfc_7396_appendix_through_apply_patch(original, patch, expected):
    assert apply_patch(original, Patch.merge(patch)) == expected


def test_the_rfc_7396_section_3_example():
    original = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": None}, "tags": ["example"]}
    assert apply_patch(original, Patch.merge(patch)) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_merged_values_are_copies_of_the_patch():
    patch = {"header": {"title": {"tag": "plain_text", "content": "New"}}}
    result = merge_into({}, patch)
    result["header"]["title"]["content"] = "changed"
    assert patch["header"]["title"]["content"] == "New"


def test_merge_on_a_card_changes_only_what_it_names():
    card = {"config": {"update_multi": True}, "header": {"template": "blue", "title": {"tag": "plain_text"}}}
    result = apply_patch(card, Patch.merge({"header": {"template": "green"}, "config": None}))
    assert result == {"header": {"template": "green", "title": {"tag": "plain_text"}}}
    assert card["header"]["template"] == "blue"
    assert "config" in card


def test_element_merge_is_rfc_7396_into_the_element():
    card = {"elements": [{"tag": "div", "element_id": "d", "text": {"tag": "lark_md", "content": "x"}, "extra": 1}]}
    patch = Patch.element("d").merge({"text": {"content": "y"}, "extra": None, "tag": "markdown"})
    assert apply_patch(card, patch)["elements"] == [
        {"tag": "markdown", "element_id": "d", "text": {"tag": "lark_md", "content": "y"}}
    ]


def test_merge_needs_an_object_at_the_card_root():
    with pytest.raises(TypeError, match="must be a JSON object"):
        Patch.merge(["not", "a", "card"])


def test_merge_patch_failing_element_is_named():
    with pytest.raises(PatchError, match=r"patch op 0 \(element merge\): no element with element_id 'gone'"):
        apply_patch({"elements": []}, Patch.element("gone").merge({"a": 1}))
