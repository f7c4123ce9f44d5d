"""The plugin snippets of docs/components/*.md, one handler per component, as one plugin.

Each page quotes its handler verbatim (tests/test_doc_examples.py checks that), and tests/test_component_docs.py
clicks each page's card through a real server. Every click is also recorded, one JSON line of `action.to_json()`
with `button_type` and `button_id`, in $CARDBOT_RECORDER_DIR/cardbot_action.jsonl.
"""

import json
import os
from pathlib import Path

from cardbot import ActionFailed, Patch, hookimpl, thaw


@hookimpl
def cardbot_claims():
    return {
        "button_types": ["approve", "lunch", "sides", "assign", "standup", "deploy_at", "note", "todo", "more_menu"],
        "names": ["due_date", "leave_submit"],
    }


@hookimpl
def cardbot_action(action):
    """Record what the click brought, then hand it to the page's handler."""
    seen = {**thaw(action.to_json()), "button_type": action.button_type, "button_id": action.button_id}
    with open(Path(os.environ["CARDBOT_RECORDER_DIR"]) / "cardbot_action.jsonl", "a", encoding="utf-8") as file:
        file.write(json.dumps(seen, ensure_ascii=False) + "\n")
    handler = HANDLERS.get(action.button_type) or HANDLERS[action.name]
    return handler(action)


def approve(action):
    """button: the callback value arrives in action.value; button_id names the clicked button."""
    who = action.operator.id
    return (Patch.element("status").merge({"content": f"Approved by <at id={who}></at>"})
            .button(action.button_id).remove()
            .toast("success", "Approved"))


def pick_lunch(action):
    """select_static: the chosen option's value is action.option."""
    return Patch.element("status").merge({"content": f"Lunch: **{action.option}**"}).toast("success", "Noted")


def pick_sides(action):
    """multi_select_static: every chosen value, in action.options (a tuple)."""
    if not action.options:
        raise ActionFailed("Pick at least one side")
    return Patch.toast("success", f"Sides: {', '.join(action.options)}")


def assign(action):
    """select_person: the chosen person's open_id is action.option."""
    owner = action.option
    return Patch.element("status").merge({"content": f"Owner: <at id={owner}></at>"}).toast("success", "Assigned")


def set_due_date(action):
    """date_picker: action.option is "YYYY-MM-DD +ZZZZ"; action.timezone is the clicker's zone."""
    day, _, offset = action.option.partition(" ")
    return Patch.toast("success", f"Due on {day} (UTC{offset}, {action.timezone})")


def set_standup(action):
    """picker_time: action.option is "HH:MM +ZZZZ"."""
    time, _, offset = action.option.partition(" ")
    return Patch.toast("success", f"Stand-up at {time} (UTC{offset})")


def schedule_deploy(action):
    """picker_datetime: action.option is "YYYY-MM-DD HH:MM +ZZZZ"."""
    day, time, offset = action.option.split(" ")
    status = {"content": f"Deploy: {day} {time} (UTC{offset})"}
    return Patch.element("status").merge(status).toast("success", "Scheduled")


def save_note(action):
    """input: what was typed is action.input_value."""
    text = (action.input_value or "").strip()
    if not text:
        raise ActionFailed("Type a note first")
    return Patch.toast("success", f"Saved: {text}")


def tick(action):
    """checker: action.checked is the new state; the value says which task."""
    task = action.value["task"]
    return Patch.toast("success", f"{task}: {'done' if action.checked else 'open again'}")


def more_menu(action):
    """overflow: the chosen item's value is action.option."""
    if action.option == "archive":
        return Patch.element("status").merge({"content": "Archived"}).toast("success", "Archived")
    return Patch.toast("info", f"{action.option}: not yet")


def request_leave(action):
    """form: every field of the form, by its name, in action.form_value; multi-selects as tuples."""
    fields = action.form_value
    reviewers = " ".join(f"<at id={who}></at>" for who in fields.get("reviewers", ()))
    summary = {"tag": "markdown", "content": f"{fields['kind']} leave from {fields['start'][:10]}: "
                                             f"{fields.get('reason', '')}. Reviewers: {reviewers}"}
    return Patch.named("leave_form").replace(summary).toast("success", "Leave requested")


HANDLERS = {"approve": approve, "lunch": pick_lunch, "sides": pick_sides, "assign": assign, "due_date": set_due_date,
            "standup": set_standup, "deploy_at": schedule_deploy, "note": save_note, "todo": tick,
            "more_menu": more_menu, "leave_submit": request_leave}
