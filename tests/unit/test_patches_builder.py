"""Building patches: class and instance builders, immutability, toasts, `+`, argument checks."""

import dataclasses

import pytest

from cardbot.patches import Patch, apply_patch
from cardbot.toast import Toast

DIV = {"tag": "div", "text": {"tag": "lark_md", "content": "x"}}


def test_class_and_instance_builders_agree():
    assert Patch.merge({"a": 1}) == Patch().merge({"a": 1}) == Patch.empty().merge({"a": 1})
    assert Patch.element("x").remove() == Patch().element("x").remove()
    assert Patch.toast("info", "hi") == Patch().toast("info", "hi")


def test_each_call_returns_a_new_patch():
    first = Patch.merge({"a": 1})
    second = first.element("x").remove()
    assert len(first.ops) == 1
    assert len(second.ops) == 2
    assert second.ops[0] == first.ops[0]


def test_a_patch_cannot_be_changed():
    patch = Patch.merge({"a": {"b": [1]}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        patch.ops = ()
    with pytest.raises(TypeError, match="read-only"):
        patch.ops[0]["patch"]["a"]["c"] = 2


def test_the_patch_keeps_its_own_copy_of_its_arguments():
    value = {"a": {"b": [1]}}
    patch = Patch.merge(value)
    value["a"]["b"].append(2)
    assert apply_patch({}, patch) == {"a": {"b": [1]}}


def test_empty_patch():
    assert Patch() == Patch.empty()
    assert not Patch().changes_card
    assert Patch().toast_value is None
    card = {"elements": [DIV]}
    result = apply_patch(card, Patch())
    assert result == card
    assert result is not card


def test_changes_card():
    assert Patch.replace({"elements": []}).changes_card
    assert not Patch.toast("success", "done").changes_card
    assert Patch.toast("success", "done").element("x").remove().changes_card


def test_toast_alone_and_with_a_change():
    patch = Patch.element("x").merge({"a": 1}).toast("success", "已完成", {"en_us": "Done"})
    assert patch.toast_value == Toast("success", "已完成", {"en_us": "Done"})
    assert len(patch.ops) == 1


def test_a_later_toast_replaces_an_earlier_one():
    assert Patch.toast("info", "a").toast("error", "b").toast_value == Toast("error", "b")


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("fatal", "x"), ValueError, "toast type must be one of"),
        (("info", 3), TypeError, "toast content must be a string"),
        (("info", "x", ["en_us", "x"]), TypeError, "toast i18n must be a dict"),
        (("info", "x", {"en_us": 3}), TypeError, "toast i18n must map"),
    ],
)
def test_toast_arguments_are_checked(args, error, message):
    with pytest.raises(error, match=message):
        Patch.toast(*args)


def test_adding_patches_concatenates_ops_and_the_second_toast_wins():
    a = Patch.merge({"a": 1}).toast("info", "a")
    b = Patch.element("x").remove().toast("success", "b")
    assert (a + b).ops == a.ops + b.ops
    assert (a + b).toast_value == Toast("success", "b")
    assert (a + Patch.element("y").remove()).toast_value == Toast("info", "a")
    assert a + Patch() == a


def test_adding_something_else_is_a_type_error():
    with pytest.raises(TypeError):
        Patch() + {"op": "merge"}


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Patch.replace([DIV]), TypeError, "replace op: 'card' must be a JSON object, not array"),
        (lambda: Patch.replace({"a": {1, 2}}), TypeError, "replace op is not JSON-serialisable"),
        (lambda: Patch.merge("x"), TypeError, "merge op: 'patch' must be a JSON object, not string"),
        (lambda: Patch.merge({"a": float("nan")}), TypeError, "not JSON-serialisable"),
        (lambda: Patch.elements("zh_cn"), TypeError, "'elements' must be an array of elements, not string"),
        (lambda: Patch.elements([{"text": "no tag"}]), ValueError, r"'elements'\[0\] must be an element"),
        (lambda: Patch.elements([DIV], locale=""), TypeError, "'locale' must be null or a locale key"),
        (lambda: Patch.element(""), TypeError, "element_id must be a non-empty string"),
        (lambda: Patch.button(1626958617426), TypeError, "button_id must be a non-empty string"),
        (lambda: Patch.element("x").replace("div"), TypeError, "'element' must be a JSON object"),
        (lambda: Patch.element("x").replace({"tag": 3}), ValueError, "must be an element"),
        (lambda: Patch.element("x").merge(None), TypeError, "'patch' must be a JSON object, not null"),
        (lambda: Patch.element("x").insert_after(), ValueError, "needs at least one element"),
        (lambda: Patch.button("x").insert_before(DIV, "hr"), TypeError, r"'elements'\[1\] must be a JSON object"),
    ],
)
def test_arguments_are_checked_when_the_patch_is_built(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_elements_accepts_tuples():
    assert Patch.elements((DIV,)) == Patch.elements([DIV])


def test_the_docstring_examples_build():
    patch = (
        Patch.element("status").merge({"content": "Released"}).toast("success", "已完成")
        + Patch.button("1626958617426").replace({"tag": "div", "text": {"tag": "lark_md", "content": "Done"}})
        + Patch.elements([DIV], locale="zh_cn")
    )
    assert [op["op"] for op in patch.ops] == ["element", "element", "elements"]
