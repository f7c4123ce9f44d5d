"""Broken plugins, one button_type each: raise, decline (also with translations), return garbage, break the
card, miss the target."""

from cardbot import ActionFailed, Patch, hookimpl


@hookimpl
def cardbot_claims():
    return ["raise", "decline", "decline_i18n", "garbage", "bloat", "missing", "schema"]


@hookimpl
def cardbot_action(action, state):
    state.card.set("touched", True)  # must never be committed: every branch below fails
    kind = action.button_type
    if kind == "raise":
        raise RuntimeError("boom")
    if kind == "decline":
        raise ActionFailed("You may not do that")
    if kind == "decline_i18n":
        raise ActionFailed("You may not do that", i18n={"zh_cn": "你不能这样做", "fr_fr": "Vous ne pouvez pas"})
    if kind == "garbage":
        return {"not": "a patch"}
    if kind == "bloat":
        return Patch.merge({"header": {"title": {"tag": "plain_text", "content": "x" * 40_000}}})
    if kind == "missing":
        return Patch.element("no_such_element").remove()
    if kind == "schema":
        return Patch.merge({"schema": "2.0"})
    raise AssertionError(kind)
