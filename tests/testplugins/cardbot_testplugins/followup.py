"""Sends a follow-up card to the chat of the click, through the bot (so it is stored and clickable)."""

from cardbot import Patch, hookimpl

FOLLOW_UP = {"config": {"update_multi": True}, "elements": [
    {"tag": "action", "actions": [{"tag": "button", "text": {"tag": "plain_text", "content": "Next"},
                                   "value": {"button_type": "echo_sync", "button_id": "next"}}]}]}


@hookimpl
def cardbot_claims():
    return ["followup"]


@hookimpl
async def cardbot_action(action, bot):
    message_id = await bot.send_card_async(FOLLOW_UP, chat_id=action.chat_id)
    return Patch.toast("success", f"sent {message_id}")
