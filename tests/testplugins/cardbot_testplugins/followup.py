"""Sends a follow-up card to the chat of the click, through the bot (so it is stored and clickable).

A button whose value has `"deep": true` sends a card nested too deeply to be stored instead.
"""

from cardbot import Patch, hookimpl

FOLLOW_UP = {"config": {"update_multi": True}, "elements": [
    {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": "Next"},
                                   "value": {"button_type": "echo_sync", "button_id": "next"}}]}]}
TOO_DEEP = {"config": {"update_multi": True}, "elements": [{"tag": "div", "extra": []}]}
for _ in range(70):
    TOO_DEEP["elements"][0]["extra"] = [TOO_DEEP["elements"][0]["extra"]]


@hookimpl
def cardbot_claims():
    return ["followup"]


@hookimpl
async def cardbot_action(action, bot):
    card = TOO_DEEP if action.value.get("deep") else FOLLOW_UP
    message_id = await bot.send_card_async(card, chat_id=action.chat_id)
    return Patch.toast("success", f"sent {message_id}")
