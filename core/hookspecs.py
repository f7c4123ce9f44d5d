# mypy: disable-error-code="empty-body"
# (hook specifications are signatures and docs: pluggy never runs them)
"""The whole plugin API on one screen: every hook a cardbot plugin can implement.

A plugin is a module (or object) with functions named after these hooks and marked `@hookimpl`:

    from cardbot import hookimpl, Patch

    @hookimpl
    def cardbot_claims():
        return ["public_publish"]

    @hookimpl
    async def cardbot_action(action, card, config):
        return Patch.button(action.button_id).remove().toast("success", "Done")

An implementation may accept any subset of a hook's arguments, in any order. cardbot calls each
implementation itself (only the owning plugin's, for `cardbot_action`), so pluggy's ordering and
wrapping options (`tryfirst`, `trylast`, `wrapper`, `hookwrapper`) are refused at start-up. Hooks marked
"may be async" accept `async def` implementations; plain ones run on a worker thread, so blocking
calls (requests, sqlite) never stall the server. docs/hooks/ has a page per hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from .action import Action
    from .bot import Bot
    from .events import Event
    from .messages import Command, Message
    from .previews import LinkPreview, LinkPreviewRequest
    from .registry.claims import Claims
    from .patches import Patch
    from .later import Outbox, Timer, Timers
    from .state import State

PROJECT_NAME = "cardbot"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def cardbot_claims() -> list[str] | Mapping[str, Any] | Claims:
    """Return what this plugin handles; called once at start-up (a plain function, not async).

    A list of strings claims button_types: a click is routed by the `button_type` in the clicked
    component's value (a string value routes as its own button_type). A mapping (or `cardbot.Claims`)
    claims more kinds:

        @hookimpl
        def cardbot_claims():
            return {"button_types": ["vote"],            # clicks by the value's button_type
                    "names": ["expense_form"],           # clicks by the component's name (forms, pickers)
                    "commands": ["poll"],                # chat commands: cardbot_command
                    "url_patterns": ["https://tickets.example.com/*"],  # link previews: cardbot_link_preview
                    "events": ["im.chat.member.bot.added_v1"],           # other events: cardbot_event
                    "messages": True}                    # other chat messages: cardbot_message

    A click goes to the owner of its button_type, else to the owner of its component's name. Two enabled
    plugins claiming the same thing stop start-up, naming both, and `[owners]` in plugins.toml settles it
    (`"command:poll" = "vote"`); two different URL patterns of two plugins that can match one URL stop
    start-up too, and only narrowing one of them settles that.
    """


@hookspec
def cardbot_check_config(config: Mapping[str, Any]) -> None:
    """Check this plugin's `[plugins.NAME]` table at start-up; raise ConfigError (or ValueError) to stop.

    A plain function, not async: it runs once while plugins load, before the server starts.

    `config` is the table without `enabled` and `module`, read-only.

        @hookimpl
        def cardbot_check_config(config):
            if not isinstance(config.get("timeout", 10), (int, float)):
                raise ConfigError("timeout must be a number of seconds")
    """


@hookspec
def cardbot_startup(config: Mapping[str, Any], bot: Bot, timers: Timers) -> None:
    """Set up what the plugin needs (clients, caches) in each worker process before it serves. May be async.

    `bot` sends cards (`bot.send_card`, `await bot.send_card_async`); keep it if you send later.
    `timers` schedules timers (`timers.schedule("digest", at=…)`), committed when the hook returns; every
    worker runs this hook, and scheduling a key again replaces it, so schedule by key, idempotently.
    An exception stops start-up with the plugin's name in the message.

        @hookimpl
        async def cardbot_startup(config):
            global client
            client = await connect(config["url"])
    """


@hookspec
def cardbot_shutdown(config: Mapping[str, Any], bot: Bot) -> None:
    """Release what `cardbot_startup` set up, when a worker stops. May be async; errors are logged.

        @hookimpl
        async def cardbot_shutdown(config):
            await client.close()
    """


@hookspec
def cardbot_action(action: Action, card: dict, config: Mapping[str, Any], state: State, bot: Bot, outbox: Outbox,
                   timers: Timers) -> Patch | None:
    """Do the team's business for a click on a claimed button_type; return how the card changes. May be async.

    Only the plugin that owns the clicked button_type is called. Arguments:
    - `action`: who clicked which component on which card (`cardbot.Action`, read-only);
    - `card`: the stored card as it is now, a private copy (changing it changes nothing: return a Patch);
    - `config`: this plugin's table from plugins.toml, read-only;
    - `state`: this plugin's state for this card (`state.card`) and across cards (`state.plugin`);
      what you set there commits in the same transaction as the card change;
    - `bot`: sends follow-up cards at once (`await bot.send_card_async(card, chat_id=action.chat_id)`);
    - `outbox`: messages to send once the click commits, never if it fails (`outbox.send_card(card,
      open_id=…, state={…})`, `outbox.reply(…)`, `outbox.send_text(…)`): exactly once, retried;
    - `timers`: work for later, committed with the click (`timers.schedule("remind", after=3600,
      card=action.card_id)`, `timers.cancel(…)`): runs `cardbot_timer` once when due.

    Return a `cardbot.Patch` (card change and/or toast) or None (nothing changes). Raise
    `cardbot.ActionFailed("why")` to show the clicker an error toast; any other exception is logged
    and shown as a generic error. Either way the card and state stay as they were.

    Clicks on one card are serialised: while this hook runs, no other click on the same card runs a
    plugin, in any worker process, so `card` and `state.card` are current and your business step runs
    exactly once per click. A hook that outlives `[bot] deadline` (2.5 s) is answered with a
    "processing" toast; when it finishes, its change is committed as usual and the card as then stored
    is pushed to the clicker with the click's update token. `[bot] hard_limit` cuts it off.

        @hookimpl
        def cardbot_action(action, card, config, state):
            release(config["webhook"], action.operator.id)
            return Patch.elements(DONE).toast("success", "已完成")
    """


@hookspec
def cardbot_command(command: Command, message: Message, config: Mapping[str, Any], bot: Bot, outbox: Outbox,
                    timers: Timers) -> str | dict | None:
    """Handle a chat command this plugin claims (`"commands"` in cardbot_claims). May be async.

    `command.name` is the word after the bot's @-mention (optional in a direct chat; a leading `/` is
    optional too), `command.args` the shell-style words after it, with other people's mentions given
    as their open_ids; `command.syntax_error` is set when the quoting is unbalanced. `message` is the
    whole chat message (`cardbot.Message`).

    The event was answered before this runs (Lark wants its answer within 3 s) and its delivery recorded:
    a message pushed again (even under a new event id) runs nothing twice, and a crash while it runs
    leaves it recorded interrupted, never re-run. `[bot] hard_limit` cuts it off.

    Return a str to reply with text, a card dict to reply with a card (stored as version 1, so clicks
    on it work), or None and reply yourself: `outbox.reply(message.message_id, card=…, state=…)` to give
    the card starting state or a timer, or `bot.reply_async` to send at once. A returned reply and the
    outbox are sent once the delivery is recorded done, exactly once; `timers` as for `cardbot_action`.

        @hookimpl
        def cardbot_command(command):
            if not command.args:
                return "Usage: remind WHAT"
            return f"I will remind you: {command.text}"
    """


@hookspec
def cardbot_message(message: Message, command: Command | None, config: Mapping[str, Any], bot: Bot,
                    outbox: Outbox, timers: Timers) -> str | dict | None:
    """Handle a chat message to the bot that is not a claimed command (`"messages": True`). May be async.

    `message.text` is the plain text (a post's paragraphs joined by newlines; mentions as their keys,
    `@_user_1`), `message.mentions` who was mentioned; `command` is the message read as a command
    (None when it is not one). Same delivery rules and return values as `cardbot_command`.

        @hookimpl
        async def cardbot_message(message, bot):
            if "help" in message.text.lower():
                return "Try: @bot poll \"Lunch?\" Noodles Rice"
    """


@hookspec
def cardbot_event(event: Event, config: Mapping[str, Any], bot: Bot, outbox: Outbox, timers: Timers) -> None:
    """Handle an event type this plugin claims (`"events"` in cardbot_claims). May be async.

    `event.event_type`, `event.event_id`, and `event.body`: its `event` object as Lark documents it,
    read-only. Answered and recorded before this runs, exactly as for `cardbot_command`; the return
    value is ignored.

        @hookimpl
        async def cardbot_event(event, bot):
            await bot.send_text_async("Hello! Try @bot poll", chat_id=event.body["chat_id"])
    """


@hookspec
def cardbot_link_preview(preview: LinkPreviewRequest, config: Mapping[str, Any], bot: Bot) -> LinkPreview | None:
    """Answer a link preview of a URL matching one of this plugin's `"url_patterns"`. May be async.

    `preview.url` is the link, `preview.preview_token` names this preview (`bot.refresh_previews` makes
    Lark ask again), `preview.operator` who typed or sent it. Return a `cardbot.LinkPreview` (an inline
    title and/or a card) or None (no preview). It must answer within `[bot] deadline` of the request
    arriving, else the link shows no preview. A card is stored under `preview:<preview_token>`, so clicks
    on it reach the plugin owning their button_type, like clicks on any card.

        @hookimpl
        def cardbot_link_preview(preview):
            ticket = tickets.get(preview.url.rsplit("/", 1)[-1])
            return LinkPreview(title=f"{ticket.id}: {ticket.title}", card=ticket_card(ticket))
    """


@hookspec
def cardbot_timer(timer: Timer, card: dict | None, state: State, config: Mapping[str, Any], bot: Bot,
                  outbox: Outbox, timers: Timers) -> Patch | None:
    """Do what this plugin scheduled (`timers.schedule(key, …)`) when it is due. May be async.

    `timer.key`, `timer.payload` (read-only JSON), `timer.due_at` (an aware datetime). Runs once: exactly
    once across workers and hosts, never twice (a crash while it runs records it interrupted); a timer
    that came due while the bot was down runs within about a second of the next start.

    With a card (`timers.schedule(..., card=card_id or an Outgoing)`), it runs under that card's turn, like
    a click: `card` is the stored card (a private copy) and `state.card` its state, and the Patch it
    returns is merged and committed as the card's next version, then PATCHed to Lark (a shared card; an
    exclusive JSON 1.0 card cannot be PATCHed: its change is stored and shows at the next click).
    Without one, `card` is None and the return value is ignored; `state.plugin` is the plugin-wide state.
    `outbox` and `timers` commit with it (a timer may schedule itself again).

        @hookimpl
        def cardbot_timer(timer, card, state):
            if timer.key == "close":
                state.card.set("closed", True)
                return Patch.elements(CLOSED_ELEMENTS)
    """
