"""The worked examples of docs/plugins.md, as one plugin: a form, a select menu, a chat command and a link preview.

docs/plugins.md quotes this module block by block (tests/test_doc_examples.py checks that every quoted block
is here verbatim, and runs each example through a real server).
"""

from cardbot import ActionFailed, LinkPreview, Patch, hookimpl


@hookimpl
def cardbot_claims():
    return {
        "names": ["expense_submit"],                         # (a) the form's submit button, by its name
        "button_types": ["lunch_pick", "ticket_close"],      # (b) the select menu, (d) the preview card's button
        "commands": ["expense"],                             # (c) "@bot expense …" in a chat
        "url_patterns": ["https://tickets.example.com/T-*"],  # (d) link previews of ticket links
    }


@hookimpl
def cardbot_action(action, bot):
    """Every click this plugin claims, handed to the example it belongs to."""
    if action.name == "expense_submit":
        return submit_expense(action)
    if action.button_type == "lunch_pick":
        return pick_lunch(action)
    return close_ticket(action, bot)


EXPENSE_CARD = {
    "schema": "2.0",
    "header": {"title": {"tag": "plain_text", "content": "Expense claim"}},
    "body": {"elements": [
        {"tag": "form", "name": "expense_form", "elements": [
            {"tag": "input", "name": "amount", "placeholder": {"tag": "plain_text", "content": "Amount in EUR"}},
            {"tag": "input", "name": "reason", "placeholder": {"tag": "plain_text", "content": "What for?"}},
            {"tag": "button", "name": "expense_submit", "form_action_type": "submit", "type": "primary",
             "text": {"tag": "plain_text", "content": "Submit"}},
        ]},
    ]},
}


def submit_expense(action):
    """The form's submit button: its fields arrive in `action.form_value`, by component name."""
    amount = read_amount(action.form_value.get("amount", ""))
    reason = action.form_value.get("reason", "").strip()
    if not reason:
        raise ActionFailed("Say what the expense was for")
    filed = {"tag": "markdown", "content": f"**{amount} EUR** for {reason}: submitted"}
    return Patch.named("expense_form").replace(filed).toast("success", "Expense submitted")


def read_amount(text):
    """`text` as an amount of money with two decimals ("12.5" → "12.50"); ActionFailed when it is none."""
    euros, _, cents = text.strip().partition(".")
    if not (euros.isdecimal() and (cents == "" or cents.isdecimal() and len(cents) <= 2)):
        raise ActionFailed(f"{text!r} is not an amount; write it like 12.50")
    return f"{int(euros)}.{cents:0<2}"


LUNCH_PLACES = {"noodles": "the noodle bar", "salad": "the salad place", "pizza": "Pizza Uno"}
LUNCH_CARD = {
    "schema": "2.0",
    "body": {"elements": [
        {"tag": "markdown", "element_id": "lunch_choice", "content": "Where shall we eat?"},
        {"tag": "select_static", "element_id": "lunch_menu",
         "placeholder": {"tag": "plain_text", "content": "Pick a place"},
         "options": [{"text": {"tag": "plain_text", "content": place}, "value": key}
                     for key, place in LUNCH_PLACES.items()],
         "behaviors": [{"type": "callback", "value": {"button_type": "lunch_pick"}}]},
    ]},
}


def pick_lunch(action):
    """The select menu: the picked option's `value` arrives in `action.option`."""
    place = LUNCH_PLACES.get(action.option)
    if place is None:
        raise ActionFailed("That place is not on the menu")
    return Patch.element("lunch_choice").merge({"content": f"Lunch at **{place}**"}).toast("info", f"{place} it is")


@hookimpl
def cardbot_command(command):
    """`@bot expense` replies with the form; `@bot expense 12.50 Taxi to the airport` files it at once."""
    if command.syntax_error:
        return f"I could not read that ({command.syntax_error}); try: @bot expense 12.50 Taxi"
    if not command.args:
        return EXPENSE_CARD                  # a card reply: stored, so the form on it works at once
    amount, *reason = command.args
    if not reason:
        return "Say what it was for: @bot expense 12.50 Taxi to the airport"
    try:
        amount = read_amount(amount)
    except ActionFailed as refusal:
        return str(refusal)
    return f"Filed {amount} EUR for {' '.join(reason)}"   # a text reply


TICKETS = {  # stands in for the ticket system's API
    "T-1": {"title": "Printer on fire", "status": "open"},
    "T-2": {"title": "Coffee machine empty", "status": "open"},
    "T-3": {"title": "Wi-Fi down in room 4", "status": "open"},
}


def ticket_card(ticket_id, ticket):
    """The card a ticket link shows: its status, and a Close button while it is open."""
    elements = [{"tag": "markdown", "element_id": "status", "content": f"Status: **{ticket['status']}**"}]
    if ticket["status"] == "open":
        elements.append({"tag": "button", "element_id": "close", "text": {"tag": "plain_text", "content": "Close"},
                         "behaviors": [{"type": "callback",
                                        "value": {"button_type": "ticket_close", "ticket": ticket_id}}]})
    return {"schema": "2.0", "header": {"title": {"tag": "plain_text", "content": f"{ticket_id}: {ticket['title']}"}},
            "body": {"elements": elements}}


@hookimpl
def cardbot_link_preview(preview):
    """A link to https://tickets.example.com/T-…: an inline title and the ticket's card (None: no preview)."""
    ticket_id = preview.url.removeprefix("https://tickets.example.com/")
    ticket = TICKETS.get(ticket_id)
    if ticket is None:
        return None
    return LinkPreview(title=f"{ticket_id}: {ticket['title']}", card=ticket_card(ticket_id, ticket))


def close_ticket(action, bot):
    """The Close button on a ticket's preview card."""
    ticket = TICKETS.get(action.value.get("ticket"))
    if ticket is None:
        raise ActionFailed("This ticket no longer exists")
    ticket["status"] = "closed"
    if action.is_link_preview:
        bot.refresh_previews([action.preview_token])   # everyone else who sees the link gets the new card
    return (Patch.element("status").merge({"content": "Status: **closed**"})
            .element("close").remove()
            .toast("success", "Ticket closed"))
