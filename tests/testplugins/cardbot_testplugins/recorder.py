"""Records everything it is handed, one JSON line per call in $CARDBOT_RECORDER_DIR/<hook>.jsonl, and claims
what $CARDBOT_RECORDER_CLAIMS (a JSON mapping of claim kinds, as cardbot_claims returns it) says.

Clicks get the toast "recorded"; a click whose value has "card": {...} also answers with that card, one with
"variables": {...} changes a template card's variables, one with "refresh": true refreshes its link preview.
Commands and messages are answered with the reply text "recorded <name>" (the command `hang` first sleeps
for a minute, for crash tests; `decline` raises ActionFailed); events raise when their body has "explode"; link previews with a title and
the card in $CARDBOT_RECORDER_PREVIEW_CARD (JSON), if set; a URL containing "slow" takes 5 s to preview.
"""

import json
import os
import time
from pathlib import Path

from cardbot import ActionFailed, LinkPreview, Patch, hookimpl, thaw


def _record(hook, value):
    folder = Path(os.environ["CARDBOT_RECORDER_DIR"])
    with open(folder / f"{hook}.jsonl", "a", encoding="utf-8") as file:
        file.write(json.dumps(thaw(value), ensure_ascii=False) + "\n")


@hookimpl
def cardbot_claims():
    return json.loads(os.environ.get("CARDBOT_RECORDER_CLAIMS", "{}"))


@hookimpl
def cardbot_action(action, bot):
    _record("cardbot_action", action.to_json())
    patch = Patch.toast("success", "recorded")
    if "card" in action.value:
        patch = Patch.replace(thaw(action.value["card"])) + patch
    if "variables" in action.value:
        patch = Patch.variables(thaw(action.value["variables"])) + patch
    if action.value.get("refresh"):
        bot.refresh_previews([action.preview_token])
    return patch


@hookimpl
def cardbot_command(command, message):
    _record("cardbot_command", {"name": command.name, "args": list(command.args), "text": command.text,
                                "mentions": [mention.to_json() for mention in command.mentions],
                                "syntax_error": command.syntax_error, "message": message.to_json()})
    if command.name == "hang":
        time.sleep(60)
    if command.name == "decline":
        raise ActionFailed("You may not do that here")
    return f"recorded {command.name}"


@hookimpl
def cardbot_message(message, command):
    _record("cardbot_message", {"message": message.to_json(), "command": command and command.name})
    return "recorded message"


@hookimpl
def cardbot_event(event):
    _record("cardbot_event", event.to_json())
    if "explode" in event.body:
        raise RuntimeError("boom")


@hookimpl
def cardbot_link_preview(preview):
    _record("cardbot_link_preview", {"url": preview.url, "preview_token": preview.preview_token,
                                     "operator": preview.operator and preview.operator.id, "host": preview.host,
                                     "message_id": preview.message_id, "chat_id": preview.chat_id})
    if "slow" in preview.url:
        time.sleep(5)
    card = os.environ.get("CARDBOT_RECORDER_PREVIEW_CARD")
    return LinkPreview(title=f"Preview of {preview.url}", i18n_title={"zh_cn": f"{preview.url} 的预览"},
                       url={"pc": preview.url}, card=json.loads(card) if card else None)
