"""vote: a real poll on any stored card. Buttons carrying `{"button_type": "vote", "option": KEY}` are votes.
The chat command `poll QUESTION OPTION OPTION…` (2 to 10 options, shell-style quotes) replies with a poll card;
with `--close-in 10m` or `--close-at 17:30` (in `[bot] timezone`) it closes then: the final counts stay, the
vote buttons are disabled, a closed note is added, and later votes change nothing.

    [plugins.vote]
    enabled = true
    show_voters = false        # true: list who voted for what under the buttons (at most max_voters_shown each)
    max_voters_shown = 20

One person (`action.operator.id`: the open_id, else the user_id or union_id) has one vote per card:
another option moves it, the same option again changes nothing. Each vote button reads "Label (N)". Voters live in the plugin's card state, never in the
card, so a 2,000-person poll stays far below Lark's 30 KB card limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from cardbot import Action, ActionFailed, Bot, Command, ConfigError, Outbox, Patch, State, Timer, Timers, hookimpl

from .poll import PollSyntaxError, poll_card, read_closing, read_poll
from .render import BUTTON_TYPE, closed_patch, render_votes

COMMAND = "poll"
CARDBOT_SHARES_SERVING_LOOP = True
"""Its async hook never blocks (it only reads state and builds a patch), so it runs on the serving loop."""
SETTINGS = {"show_voters": bool, "max_voters_shown": int}


@hookimpl
def cardbot_claims() -> dict[str, list[str]]:
    return {"button_types": [BUTTON_TYPE], "commands": [COMMAND]}


@hookimpl
def cardbot_check_config(config: Mapping[str, Any]) -> None:
    for key, value in config.items():
        expected = SETTINGS.get(key)
        if expected is None:
            raise ConfigError(f"unknown setting {key!r}; vote takes {', '.join(SETTINGS)}")
        whole = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if not (isinstance(value, bool) if expected is bool else whole):
            raise ConfigError(f"{key} must be {'true or false' if expected is bool else 'a whole number'}")


CLOSE_TIMER = "close:"
CLOSED_TOAST = {"zh_cn": "投票已结束", "en_us": "This poll is closed"}


@hookimpl
async def cardbot_action(action: Action, card: dict, config: Mapping[str, Any], state: State) -> Patch:
    voter = f"voter:{action.operator.id}"
    stored = state.card.get_many("closed", voter, "counts")  # one read
    if stored.get("closed"):
        return Patch.toast("info", CLOSED_TOAST["en_us"], CLOSED_TOAST)
    option = action.value.get("option")
    if not isinstance(option, str) or not option:
        raise ActionFailed("This vote button has no option")
    previous = stored.get(voter)
    if previous == option:
        return Patch.toast("info", "You already voted for this option",
                           {"zh_cn": "你已经投过这个选项", "en_us": "You already voted for this option"})
    counts: dict[str, int] | None = stored.get("counts")
    first_vote = counts is None  # the buttons still show their plain labels
    counts = counts or {}
    if previous is not None:
        counts[previous] = max(0, counts.get(previous, 0) - 1)
    counts[option] = counts.get(option, 0) + 1
    state.card.set(voter, option)
    state.card.set("counts", counts)
    voters = _voters(state) if config.get("show_voters") else None
    patch = render_votes(card, counts, first_vote=first_vote, voters=voters,
                         max_voters_shown=config.get("max_voters_shown", 20))
    return patch.toast("success", "Vote counted", {"zh_cn": "投票成功", "en_us": "Vote counted"})


def _voters(state: State) -> dict[str, list[str]]:
    """option → voters' ids, this click's vote included."""
    by_option: dict[str, list[str]] = {}
    for key, chosen in state.card.items("voter:"):
        by_option.setdefault(chosen, []).append(key.removeprefix("voter:"))
    return by_option


@hookimpl
async def cardbot_command(command: Command, bot: Bot, outbox: Outbox, timers: Timers) -> str | None:
    """`poll QUESTION OPTION… [--close-in D | --close-at HH:MM]`: reply in the chat with a shared poll card
    (and set its closing timer), or with the syntax when it is wrong."""
    message_id = command.message.message_id
    try:
        if command.syntax_error is not None:
            read_poll(command.args, command.syntax_error)
        words, closes_at = read_closing(command.args, datetime.now(bot.timezone))
        question, options = read_poll(words)
    except PollSyntaxError as error:
        return str(error)
    sent = outbox.reply(message_id, card=poll_card(question, options, closes_at))
    if closes_at is not None:
        timers.schedule(CLOSE_TIMER + message_id, at=closes_at, card=sent)
    return None


@hookimpl
def cardbot_timer(timer: Timer, card: dict | None, state: State) -> Patch | None:
    """Close the poll: final counts stay, vote buttons are disabled, a closed note is added (pushed to Lark)."""
    if not timer.key.startswith(CLOSE_TIMER) or card is None or state.card.get("closed"):
        return None
    counts = state.card.get("counts")
    state.card.set("closed", True)
    return closed_patch(card, counts or {}, first_vote=counts is None)
