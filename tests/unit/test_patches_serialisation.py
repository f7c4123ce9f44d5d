"""`Patch.to_json` / `Patch.from_json`: the exact op shapes, round trips, and what from_json refuses."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cardbot.errors import PatchError
from cardbot.patches import Patch

DIV = {"tag": "div", "text": {"tag": "lark_md", "content": "x"}}


def test_op_shapes():
    patch = (
        Patch.replace({"elements": [DIV]})
        .merge({"header": {"template": "green"}})
        .json_patch([{"op": "remove", "path": "/config"}])
        .elements([DIV], locale="zh_cn")
        .element("status").replace(DIV)
        .button("b1").merge({"disabled": True})
        .element("status").remove()
        .button("b1").insert_before(DIV)
        .element("status").insert_after(DIV, DIV)
        .toast("success", "已完成", {"en_us": "Done"})
    )
    assert patch.to_json() == {
        "ops": [
            {"op": "replace", "card": {"elements": [DIV]}},
            {"op": "merge", "patch": {"header": {"template": "green"}}},
            {"op": "json_patch", "operations": [{"op": "remove", "path": "/config"}]},
            {"op": "elements", "locale": "zh_cn", "elements": [DIV]},
            {"op": "element", "target": {"element_id": "status"}, "action": "replace", "element": DIV},
            {"op": "element", "target": {"button_id": "b1"}, "action": "merge", "patch": {"disabled": True}},
            {"op": "element", "target": {"element_id": "status"}, "action": "remove"},
            {"op": "element", "target": {"button_id": "b1"}, "action": "insert_before", "elements": [DIV]},
            {"op": "element", "target": {"element_id": "status"}, "action": "insert_after", "elements": [DIV, DIV]},
        ],
        "toast": {"type": "success", "content": "已完成", "i18n": {"en_us": "Done"}},
    }


def test_to_json_is_plain_json_and_round_trips():
    patch = Patch.elements((DIV,)).json_patch([{"op": "add", "path": "/a", "value": [1, {"b": None}]}])
    data = patch.to_json()
    assert type(data["ops"]) is list and type(data["ops"][0]) is dict and type(data["ops"][0]["elements"]) is list
    assert Patch.from_json(data) == patch
    assert Patch.from_json(json.loads(json.dumps(data))) == patch
    assert Patch.empty().to_json() == {"ops": [], "toast": None}


def test_to_json_returns_a_copy():
    patch = Patch.merge({"a": 1})
    patch.to_json()["ops"][0]["patch"]["a"] = 2
    assert patch.ops[0]["patch"] == {"a": 1}


def test_from_json_accepts_a_missing_toast():
    assert Patch.from_json({"ops": []}) == Patch()


TARGET = {"element_id": "x"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "a patch is a JSON object"),
        ({}, "a patch is a JSON object"),
        ({"ops": [], "toast": None, "extra": 1}, "a patch is a JSON object"),
        ({"ops": {}}, "'ops' must be an array"),
        ({"ops": ["merge"]}, "patch op 0: a patch op is a JSON object, not string"),
        ({"ops": [{"op": "explode"}]}, "patch op 0: unknown patch op 'explode'"),
        ({"ops": [{"op": "merge"}]}, "merge op: missing 'patch'"),
        ({"ops": [{"op": "merge", "patch": {}, "card": {}}]}, "merge op: unexpected 'card'"),
        ({"ops": [{"op": "merge", "patch": []}]}, "'patch' must be a JSON object"),
        ({"ops": [{"op": "replace", "card": None}]}, "'card' must be a JSON object, not null"),
        ({"ops": [{"op": "elements", "elements": []}]}, "elements op: missing 'locale'"),
        ({"ops": [{"op": "elements", "locale": 3, "elements": []}]}, "'locale' must be null or a locale key"),
        ({"ops": [{"op": "json_patch", "operations": [{"op": "add", "path": "x", "value": 1}]}]}, "start with '/'"),
        ({"ops": [{"op": "element", "target": {"element_id": "x"}, "action": "explode"}]}, "'action' must be one of"),
        ({"ops": [{"op": "element", "target": {"id": "x"}, "action": "remove"}]}, "an element target is"),
        ({"ops": [{"op": "element", "target": {**TARGET, "button_id": "y"}, "action": "remove"}]}, "target is"),
        ({"ops": [{"op": "element", "target": TARGET, "action": "remove", "elements": []}]}, "unexpected 'elements'"),
        ({"ops": [{"op": "element", "target": TARGET, "action": "replace"}]}, "missing 'element'"),
        ({"ops": [{"op": "element", "target": TARGET, "action": "insert_after", "elements": []}]}, "at least one"),
        ({"ops": [], "toast": {"type": "loud", "content": "x"}}, "patch toast: toast type must be one of"),
        ({"ops": [], "toast": "done"}, "patch toast: a toast is a JSON object"),
        ({"ops": [], "toast": {"type": "info", "content": 3}}, "patch toast: toast content must be a string"),
    ],
)
def test_from_json_refuses_anything_malformed(data, message):
    with pytest.raises(PatchError, match=message):
        Patch.from_json(data)


def test_from_json_names_the_failing_op_index():
    with pytest.raises(PatchError, match="^patch op 1: "):
        Patch.from_json({"ops": [{"op": "merge", "patch": {}}, {"op": "merge"}]})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)
elements = st.builds(lambda tag, extra: {"tag": tag, **extra}, st.sampled_from(["div", "hr", "markdown"]), json_objects)
element_lists = st.lists(elements, min_size=1, max_size=3)
pointers = st.lists(st.text(max_size=4), max_size=3).map(
    lambda tokens: "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)
)
operations = st.one_of(
    st.builds(lambda p, v: {"op": "add", "path": p, "value": v}, pointers, json_values),
    st.builds(lambda p: {"op": "remove", "path": p}, pointers),
    st.builds(lambda f, p: {"op": "move", "from": f, "path": p}, pointers, pointers),
    st.builds(lambda p, v: {"op": "test", "path": p, "value": v}, pointers, json_values),
)
ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,19}", fullmatch=True)


def element_step(patch, kind, target_id, action, payload):
    target = patch.element(target_id) if kind == "element" else patch.button(target_id)
    if action == "remove":
        return target.remove()
    if action == "merge":
        return target.merge(payload[0])
    if action == "replace":
        return target.replace(payload[0])
    return getattr(target, action)(*payload)


steps = st.one_of(
    st.builds(lambda card: lambda p: p.replace(card), json_objects),
    st.builds(lambda patch: lambda p: p.merge(patch), json_objects),
    st.builds(lambda ops: lambda p: p.json_patch(ops), st.lists(operations, max_size=3)),
    st.builds(lambda els, loc: lambda p: p.elements(els, locale=loc), element_lists, st.sampled_from([None, "zh_cn"])),
    st.builds(
        lambda kind, target_id, action, payload: lambda p: element_step(p, kind, target_id, action, payload),
        st.sampled_from(["element", "button"]),
        ids,
        st.sampled_from(["replace", "merge", "remove", "insert_before", "insert_after"]),
        element_lists,
    ),
    st.builds(
        lambda kind, text, i18n: lambda p: p.toast(kind, text, i18n),
        st.sampled_from(["info", "success", "error", "warning"]),
        st.text(max_size=8),
        st.dictionaries(st.sampled_from(["en_us", "ja_jp"]), st.text(max_size=5)),
    ),
)


@given(st.lists(steps, max_size=5))
def test_any_built_patch_round_trips_through_json(build_steps):
    patch = Patch()
    for step in build_steps:
        patch = step(patch)
    text = json.dumps(patch.to_json(), allow_nan=False)
    assert Patch.from_json(json.loads(text)) == patch
    assert Patch.from_json(patch.to_json()) == patch


def test_the_json_text_of_a_patch_is_its_to_json_serialised():
    from cardbot.jsoncodec import dumps

    patch = (Patch.json_patch([{"op": "replace", "path": "/a", "value": {"x": [1, 2], "y": None}}])
             .element("s").merge({"content": "é"}).toast("success", "ok", {"zh_cn": "好"}))
    assert patch.to_json_text() == dumps(patch.to_json())
    assert Patch.from_json(json.loads(patch.to_json_text())) == patch
    assert Patch().to_json_text() == '{"ops":[],"toast":null}'
