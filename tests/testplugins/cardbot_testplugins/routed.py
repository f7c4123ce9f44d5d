"""A plugin written with a Router: clicks by button_type and button_id with a typed value, a form by its
component name, a command, a timer by key pattern, and a plain hook beside the routes.

    @bot ticket Printer broken    → a ticket card in the chat, a nag timer `nag:<ticket>` in an hour
    click Take / Close            → the ticket is taken / closed (Decision value: ticket, by)
    submit the comment form       → the comment is added
"""

from dataclasses import dataclass
from typing import Literal

from cardbot import ActionFailed, Patch, Router, hookimpl

router = Router()
STARTED = []


@dataclass(frozen=True)
class Ticket:
    ticket: str
    priority: Literal["low", "high"] = "low"


def ticket_card(ticket: str, title: str) -> dict:
    return {"schema": "2.0", "config": {"update_multi": True}, "body": {"elements": [
        {"tag": "markdown", "element_id": "status", "content": f"Open: {title}"},
        router.button("Take", Ticket(ticket), route=take, element_id="take"),
        router.button("Close", Ticket(ticket, "high"), route=close, element_id="close", type="danger"),
        router.button("Ping", route=ping, element_id="ping"),
        {"tag": "form", "name": "comment_form", "element_id": "form", "elements": [
            {"tag": "input", "name": "comment", "element_id": "comment"},
            {"tag": "button", "name": "comment_submit", "element_id": "submit", "form_action_type": "submit",
             "text": {"tag": "plain_text", "content": "Comment"}}]},
    ]}}


@router.click("ticket", button_id="take", value=Ticket)
def take(action, value: Ticket, state):
    if state.card.get("taken_by"):
        raise ActionFailed("Already taken", i18n={"zh_cn": "已被领取"})
    state.card.set("taken_by", action.operator.id)
    return Patch.element("status").merge({"content": f"Taken by {action.operator.id}: {value.ticket}"}) \
        .toast("success", "Taken")


@router.click("ticket", button_id="close", value=Ticket)
async def close(action, value: Ticket, timers):
    timers.cancel(f"nag:{value.ticket}")
    return Patch.element("status").merge({"content": f"Closed ({value.priority})"}).toast("success", "Closed")


@router.click("ticket")
def ping(action):
    return Patch.toast("info", f"pong {action.value.get('button_id')}")


@router.click(name="comment_submit")
def comment(action, state):
    state.card.set("comments", state.card.get("comments", 0) + 1)
    return Patch.toast("success", f"Comment: {action.form_value.get('comment')}")


@router.command("ticket")
def open_ticket(command, message, outbox, timers):
    title = " ".join(command.args) or "untitled"
    sent = outbox.reply(message.message_id, card=ticket_card(message.message_id, title), state={"title": title})
    timers.schedule(f"nag:{message.message_id}", after=3600, card=sent, payload={"title": title})
    return None


@router.timer("nag:*")
def nag(timer, state):
    state.card.set("nags", state.card.get("nags", 0) + 1)
    return Patch.element("status").merge({"content": f"Still open: {timer.payload['title']}"})


@hookimpl
def cardbot_startup(config):
    STARTED.append(dict(config))

