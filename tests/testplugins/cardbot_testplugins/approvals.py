"""An expense approval, the worked example of docs/plugins.md ("After the click"): the request card starts with
its state (amount, requester), the decision tells the requester through the outbox, and a reminder timer nags
the approver until someone decides.

    @bot expense 120 "Team lunch" @_user_2        → a request card to the approver, a reminder in [reminder_after] s
    click Approve / Reject                        → the requester is told; the reminder is cancelled

A button whose value has "fail": true asks the outbox to send a text, then fails on purpose: nothing goes out.
"""

from cardbot import ActionFailed, Patch, hookimpl

DECISIONS = {"approve": "approved", "reject": "rejected"}


def request_card(amount, reason):
    return {"schema": "2.0", "config": {"update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": f"Expense: {amount} for {reason}"}},
            "body": {"elements": [
                {"tag": "button", "element_id": "approve", "text": {"tag": "plain_text", "content": "Approve"},
                 "behaviors": [{"type": "callback", "value": {"button_type": "approval", "decision": "approve"}}]},
                {"tag": "button", "element_id": "reject", "text": {"tag": "plain_text", "content": "Reject"},
                 "behaviors": [{"type": "callback", "value": {"button_type": "approval", "decision": "reject"}}]},
                {"tag": "button", "element_id": "broken", "text": {"tag": "plain_text", "content": "Break"},
                 "behaviors": [{"type": "callback", "value": {"button_type": "approval", "fail": True}}]},
            ]}}


@hookimpl
def cardbot_claims():
    return {"button_types": ["approval"], "commands": ["expense"]}


@hookimpl
def cardbot_command(command, outbox, timers, config):
    amount, reason, approver = command.args  # approver: a mention, resolved to an open_id
    reminder = f"remind:{command.message.message_id}"  # a timer key is the plugin's own: one per request
    sent = outbox.send_card(request_card(amount, reason), open_id=approver,
                            state={"amount": amount, "reason": reason, "requester": command.message.sender.id,
                                   "reminder": reminder})
    timers.schedule(reminder, after=config.get("reminder_after", 3600), card=sent, payload={"approver": approver})
    return f"Sent to {approver} for approval"


@hookimpl
def cardbot_action(action, state, outbox, timers):
    if action.value.get("fail"):
        outbox.send_text("this must never be sent", open_id=action.operator.id)
        raise ActionFailed("Broken on purpose")
    if state.card.get("decided"):
        return Patch.toast("info", "Already decided")
    decision = DECISIONS[action.value["decision"]]
    state.card.set("decided", decision)
    outbox.send_text(f"Your expense of {state.card['amount']} ({state.card['reason']}) was {decision}",
                     open_id=state.card["requester"])
    timers.cancel(state.card["reminder"])
    note = {"tag": "markdown", "content": f"**{decision.capitalize()}** by <at id={action.operator.id}></at>"}
    return Patch.elements([note]).toast("success", decision.capitalize())


@hookimpl
def cardbot_timer(timer, state, outbox):
    if timer.key.startswith("remind:") and not state.card.get("decided"):
        outbox.send_text(f"Reminder: an expense of {state.card['amount']} waits for you",
                         open_id=timer.payload["approver"])
