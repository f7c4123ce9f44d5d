"""Property tests: applying any patch never changes the card it is given nor shares containers with it."""

import copy
import json

from hypothesis import given
from hypothesis import strategies as st

from cardbot.errors import PatchError
from cardbot.frozen import freeze
from cardbot.patches import Patch, apply_patch

SEED_BUTTON = {
    "tag": "button",
    "text": {"tag": "plain_text", "content": "完成「全量发布」"},
    "value": {"button_type": "public_publish", "button_id": "1626958617426"},
    "type": "primary",
}
CARDS = [
    {
        "i18n_elements": {
            "zh_cn": [{"tag": "action", "actions": [SEED_BUTTON]}],
            "en_us": [{"tag": "action", "actions": [SEED_BUTTON]}],
        }
    },
    {
        "config": {"update_multi": True},
        "elements": [
            {"tag": "div", "element_id": "summary", "text": {"tag": "lark_md", "content": "v1"}},
            {"tag": "action", "actions": [{**SEED_BUTTON, "value": {"button_id": "b1"}}]},
        ],
    },
    {
        "schema": "2.0",
        "body": {
            "elements": [
                {"tag": "markdown", "element_id": "status", "content": "Waiting"},
                {
                    "tag": "column_set",
                    "columns": [
                        {
                            "tag": "column",
                            "elements": [
                                {
                                    "tag": "button",
                                    "element_id": "btn_ok",
                                    "behaviors": [{"type": "callback", "value": {"button_id": "b1"}}],
                                }
                            ],
                        }
                    ],
                },
            ]
        },
    },
]
IDS = ["summary", "status", "btn_ok", "b1", "1626958617426", "missing"]

keys = st.sampled_from(["a", "tag", "elements", "header", "config", "body", "i18n_elements"])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)
merge_patches = st.dictionaries(keys, json_values, max_size=3)
elements = st.builds(
    lambda tag, content: {"tag": tag, "content": content}, st.sampled_from(["markdown", "hr"]), st.text(max_size=5)
)


def pointers(value, prefix=""):
    """Every JSON pointer into `value`."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from pointers(item, f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from pointers(item, f"{prefix}/{index}")


@st.composite
def patches(draw, card):
    patch = Patch()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["merge", "json_patch", "elements", "element", "button", "replace"]))
        if kind == "merge":
            patch = patch.merge(draw(merge_patches))
        elif kind == "json_patch":
            paths = st.sampled_from(list(pointers(card)) + ["/new", "/elements/-"])
            operation = draw(st.sampled_from(["add", "remove", "replace", "move", "copy", "test"]))
            members = {"path": draw(paths), "from": draw(paths), "value": draw(json_values)}
            patch = patch.json_patch([{"op": operation, **members}])
        elif kind == "elements":
            patch = patch.elements(draw(st.lists(elements, max_size=2)), locale=draw(st.sampled_from([None, "zh_cn"])))
        elif kind == "replace":
            patch = patch.replace(draw(merge_patches))
        else:
            target = getattr(patch, kind)(draw(st.sampled_from(IDS)))
            action = draw(st.sampled_from(["replace", "merge", "remove", "insert_before", "insert_after"]))
            payload = draw(elements)
            patch = target.remove() if action == "remove" else getattr(target, action)(payload)
    return patch


def containers(value):
    """The ids of every dict and list inside `value`."""
    found = set()
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list, tuple)):
            found.add(id(node))
            stack.extend(node.values() if isinstance(node, dict) else node)
    return found


@given(st.data())
def test_no_patch_changes_its_input_card_or_shares_containers_with_it(data):
    card = copy.deepcopy(data.draw(st.sampled_from(CARDS)))
    before = json.dumps(card)
    patch = data.draw(patches(card))
    try:
        result = apply_patch(card, patch)
    except PatchError:
        result = None
    assert json.dumps(card) == before
    if result is not None:
        assert not containers(result) & (containers(card) | containers(patch.ops))


@given(st.sampled_from(CARDS), merge_patches)
def test_merge_patches_are_idempotent_and_leave_the_input_alone(card, merge_patch):
    before = json.dumps(card)
    once = apply_patch(card, Patch.merge(merge_patch))
    assert apply_patch(once, Patch.merge(merge_patch)) == once
    assert json.dumps(card) == before


@given(st.data())
def test_replace_then_test_succeeds_at_any_pointer(data):
    card = data.draw(st.sampled_from(CARDS))
    pointer = data.draw(st.sampled_from([p for p in pointers(card) if p]))
    value = data.draw(json_values)
    patch = Patch.json_patch(
        [{"op": "replace", "path": pointer, "value": value}, {"op": "test", "path": pointer, "value": value}]
    )
    apply_patch(card, patch)


def test_a_frozen_card_can_be_patched():
    card = freeze(CARDS[2])
    result = apply_patch(card, Patch.element("status").merge({"content": "Done"}))
    assert result["body"]["elements"][0] == {"tag": "markdown", "element_id": "status", "content": "Done"}
    assert type(result["body"]["elements"]) is list
