"""Expense approvals: a request needs both approvers; rejecting needs a reason picked from a menu first; the
requester hears the outcome.

    @bot expense 120 Team lunch    → a request card in the chat, starting with the request's state
    Approve (each approver)        → once both have: the card says so and the requester is told
    pick a reason, then Reject     → the card says why and the requester is told

    [plugins.expenses]
    enabled = true
    approvers = ["ou_…", "ou_…"]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from cardbot import Action, ActionFailed, Command, ConfigError, Message, Outbox, Patch, Router, State, hookimpl
from cardbot import plugin_logger

router = Router()
log = plugin_logger("expenses")
REASONS = {"receipt": "Missing receipt", "budget": "Over budget", "personal": "Not a business expense"}


@dataclass(frozen=True)
class Request:
    """What each button of a request card carries: which request it is (the asking message's id)."""

    request: str


@hookimpl
def cardbot_check_config(config: Mapping[str, Any]) -> None:
    approvers = config.get("approvers")
    if not (isinstance(approvers, (list, tuple)) and len(approvers) == 2
            and all(isinstance(a, str) and a.startswith("ou_") for a in approvers)):
        raise ConfigError("approvers must be the open_ids of the two approvers: approvers = [\"ou_…\", \"ou_…\"]")


@router.command("expense")
def ask(command: Command, message: Message, outbox: Outbox) -> str | None:
    """`@bot expense AMOUNT REASON`: reply with a request card for the approvers."""
    if len(command.args) < 2:
        return "Usage: @bot expense AMOUNT REASON"
    amount, reason = command.args[0], " ".join(command.args[1:])
    outbox.reply(message.message_id, card=request_card(Request(message.message_id), amount, reason),
                 state={"amount": amount, "reason": reason, "requester": message.sender.id, "approved_by": []})
    return None


@router.click("expense", button_id="approve", value=Request)
def approve(action: Action, value: Request, state: State, config: Mapping[str, Any], outbox: Outbox) -> Patch:
    approver = _approver(action, config)
    approved = state.card.get("approved_by", [])
    if approver in approved:
        return Patch.toast("info", "You have approved this already")
    approved = [*approved, approver]
    state.card.set("approved_by", approved)
    if len(approved) < len(config["approvers"]):
        return _status(f"Approved by {_at(approver)}; waiting for the other approver").toast("success", "Approved")
    log.info("request %s approved by %s", value.request, ", ".join(approved))
    _tell_requester(state, outbox, "approved")
    return _decided(f"**Approved** by {', '.join(map(_at, approved))}").toast("success", "Approved")


@router.click("expense", button_id="reason", value=Request)
def pick_reason(action: Action, state: State, config: Mapping[str, Any]) -> Patch:
    _approver(action, config)
    if action.option not in REASONS:
        raise ActionFailed("Pick one of the listed reasons", i18n={"zh_cn": "请选择列出的原因"})
    state.card.set("reject_reason", action.option)
    return Patch.toast("info", f"Reason: {REASONS[action.option]}. Now press Reject.")


@router.click("expense", button_id="reject", value=Request)
def reject(action: Action, value: Request, state: State, config: Mapping[str, Any], outbox: Outbox) -> Patch:
    approver = _approver(action, config)
    reason = state.card.get("reject_reason")
    if reason is None:
        raise ActionFailed("Pick a reason from the menu first", i18n={"zh_cn": "请先从菜单中选择原因"})
    log.info("request %s rejected by %s: %s", value.request, approver, reason)
    _tell_requester(state, outbox, f"rejected ({REASONS[reason]})")
    return _decided(f"**Rejected** by {_at(approver)}: {REASONS[reason]}").toast("success", "Rejected")


def request_card(request: Request, amount: str, reason: str) -> dict:
    """The card the approvers decide on: Approve, a menu of reasons, Reject."""
    menu = [{"text": {"tag": "plain_text", "content": text}, "value": key} for key, text in REASONS.items()]
    return {"schema": "2.0", "config": {"update_multi": True},
            "header": {"title": {"tag": "plain_text", "content": f"Expense: {amount} for {reason}"}},
            "body": {"elements": [
                {"tag": "markdown", "element_id": "status", "content": "Waiting for two approvals"},
                router.button("Approve", request, route=approve, element_id="approve", type="primary"),
                {"tag": "select_static", "element_id": "reason", "options": menu,
                 "placeholder": {"tag": "plain_text", "content": "Reason to reject"},
                 "behaviors": [{"type": "callback", "value": router.value(request, route=pick_reason)}]},
                router.button("Reject", request, route=reject, element_id="reject", type="danger"),
            ]}}


def _approver(action: Action, config: Mapping[str, Any]) -> str:
    if action.operator.id not in config["approvers"]:
        raise ActionFailed("Only the approvers can decide", i18n={"zh_cn": "只有审批人可以审批"})
    return action.operator.id


def _tell_requester(state: State, outbox: Outbox, outcome: str) -> None:
    outbox.send_text(f"Your expense of {state.card['amount']} ({state.card['reason']}) was {outcome}",
                     open_id=state.card["requester"])


def _status(text: str) -> Patch:
    return Patch.element("status").merge({"content": text})


def _decided(text: str) -> Patch:
    return Patch.elements([{"tag": "markdown", "element_id": "status", "content": text}])


def _at(open_id: str) -> str:
    return f"<at id={open_id}></at>"
