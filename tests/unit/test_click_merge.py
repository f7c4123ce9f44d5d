"""Step 9, merging a plugin's patch: a patch that only rewrites texts' content is checked for size alone (the
stored card passed every other rule, and none looks at a text's content); any other patch gets every rule."""

from __future__ import annotations

import pytest

from cardbot import Patch
from cardbot.clicks.dispatch import PluginFailed
from cardbot.clicks.merge import merge_patch, only_texts
from cardbot.jsoncodec import dumps, loads
from cardbot.patches import validate_card

CARD = {"schema": "2.0", "body": {"elements": [
    {"tag": "markdown", "element_id": "status", "content": "Open"},
    {"tag": "button", "element_id": "go", "text": {"tag": "plain_text", "content": "Go"},
     "behaviors": [{"type": "callback", "value": {"button_type": "x"}}]}]}}
STORED = dumps(CARD)


def merged(patch: Patch):
    return merge_patch(loads(STORED), STORED, patch, "p")


def test_content_rewrites_are_texts_only_and_merge():
    patch = Patch.json_patch([{"op": "replace", "path": "/body/elements/0/content", "value": "Closed"},
                              {"op": "test", "path": "/schema", "value": "2.0"},
                              {"op": "replace", "path": "/body/elements/1/text/content", "value": "Went"}])
    assert only_texts(patch)
    result = merged(patch)
    assert result is not None and result.card["body"]["elements"][1]["text"]["content"] == "Went"
    validate_card(result.card)  # what the full rules say of it too


@pytest.mark.parametrize("patch", [
    Patch.json_patch([{"op": "replace", "path": "/body/elements/0/element_id", "value": "1bad"}]),
    Patch.json_patch([{"op": "replace", "path": "/body/elements/0/content", "value": {"tag": "action"}}]),
    Patch.json_patch([{"op": "add", "path": "/body/elements/0/content", "value": "x"}]),
    Patch.element("status").merge({"content": "x"}),
    Patch.json_patch([{"op": "replace", "path": "/schema", "value": "1.0"}]),
], ids=["element_id", "object value", "add", "element op", "schema"])
def test_anything_else_is_not_texts_only(patch):
    assert not only_texts(patch)


def test_a_bad_element_id_is_still_refused_by_the_full_rules():
    with pytest.raises(PluginFailed, match="element_id '1bad' is not valid"):
        merged(Patch.json_patch([{"op": "replace", "path": "/body/elements/0/element_id", "value": "1bad"}]))


def test_a_text_that_makes_the_card_too_big_is_refused():
    with pytest.raises(PluginFailed, match="Lark's limit is 30720"):
        merged(Patch.json_patch([{"op": "replace", "path": "/body/elements/0/content", "value": "x" * 31000}]))
