"""The poll command, as pure functions: `read_poll` reads `poll QUESTION OPTION…`, `poll_card` builds the
shared vote card to post for it.

    try:
        words, problem = shlex.split(text), None
    except ValueError as err:
        words, problem = [], str(err)
    question, options = read_poll(words, problem)
    card = poll_card(question, options)

The card's buttons are this plugin's vote buttons (`{"button_type": "vote", "option": LABEL}`), so clicks on
it count as votes and each button then reads "Label (N)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from .render import BUTTON_TYPE, CLOSES_ELEMENT_ID

MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_QUESTION = 100
"""Most characters in a question."""
MAX_OPTION = 80
"""Most characters in an option: its button then reads "Label (N)", within Lark's 100 characters of button text."""
POLL_USAGE = (
    f'Usage: poll QUESTION OPTION OPTION… ({MIN_OPTIONS} to {MAX_OPTIONS} options; '
    'quote words with spaces: poll "Lunch today?" Noodles Rice "Hot pot"). '
    'To close it: --close-in 10m (90s, 2h, 1h30m) or --close-at 17:30'
)
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
MAX_CLOSE_SECONDS = 30 * 24 * 3600
"""A poll closes within 30 days (Lark lets a card be updated for 14; a later close is stored, not pushed)."""


class PollSyntaxError(ValueError):
    """A poll command that cannot be read: the message says what is wrong, then gives POLL_USAGE."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}\n{POLL_USAGE}")
        self.problem = problem


def read_poll(args: Sequence[str], syntax_error: str | None = None) -> tuple[str, list[str]]:
    """The question and options of a poll command, from the words after `poll` (split as a shell does).

    `syntax_error` is the splitter's complaint when the text could not be split (unbalanced quotes).
    Words are stripped of surrounding spaces. Raises PollSyntaxError: no question, fewer than 2 or more
    than 10 options, an empty option, the same option twice (case does not count), a question longer than
    100 characters or an option longer than 80.
    """
    if syntax_error is not None:
        raise PollSyntaxError(f"The quotes do not pair up ({syntax_error})")
    words = [word.strip() for word in args]
    if not words or not words[0]:
        raise PollSyntaxError("The poll has no question")
    question, options = words[0], words[1:]
    _check_length("The question", question, MAX_QUESTION)
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise PollSyntaxError(f"A poll takes {MIN_OPTIONS} to {MAX_OPTIONS} options, not {len(options)}")
    seen: dict[str, int] = {}  # casefolded option → its number
    for number, option in enumerate(options, start=1):
        if not option:
            raise PollSyntaxError(f"Option {number} is empty")
        _check_length(f"Option {number}", option, MAX_OPTION)
        if (first := seen.setdefault(option.casefold(), number)) != number:
            raise PollSyntaxError(f'Option {number} ("{option}") repeats option {first} ("{options[first - 1]}")')
    return question, options


def read_closing(args: Sequence[str], now: datetime) -> tuple[list[str], datetime | None]:
    """Take `--close-in DURATION` or `--close-at HH:MM` (also written `--close-in=10m`) out of the words;
    the other words, and when the poll closes (None: it stays open). A time of day is the next one after
    `now`, in `now`'s time zone. Raises PollSyntaxError for a malformed or doubled flag."""
    words, closes_at = [], None
    items = iter(args)
    for word in items:
        flag, _, attached = word.partition("=")
        if flag not in ("--close-in", "--close-at"):
            words.append(word)
            continue
        value = attached or next(items, "")
        if closes_at is not None:
            raise PollSyntaxError("Give --close-in or --close-at once")
        closes_at = _close_in(value, now) if flag == "--close-in" else _close_at(value, now)
    return words, closes_at


def _close_in(value: str, now: datetime) -> datetime:
    match = _DURATION.fullmatch(value.strip().lower())
    if not value or match is None or not any(match.groups()):
        raise PollSyntaxError(f"--close-in takes a duration like 90s, 10m, 2h or 1h30m, not {value!r}")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    delay = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if not timedelta(seconds=1) <= delay <= timedelta(seconds=MAX_CLOSE_SECONDS):
        raise PollSyntaxError("--close-in must be between 1 second and 30 days")
    return now + delay


def _close_at(value: str, now: datetime) -> datetime:
    match = _TIME_OF_DAY.fullmatch(value.strip())
    if match is None:
        raise PollSyntaxError(f"--close-at takes a time of day like 17:30, not {value!r}")
    at = now.replace(hour=int(match.group(1)), minute=int(match.group(2)), second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def poll_card(question: str, options: Sequence[str], closes_at: datetime | None = None) -> dict:
    """A shared JSON 2.0 card titled `question`, with one vote button per option (read_poll's output), and
    when it closes (shown in the closing time zone)."""
    elements: list[dict] = [_vote_button(option) for option in options]
    if closes_at is not None:
        elements.append({"tag": "markdown", "element_id": CLOSES_ELEMENT_ID,
                         "content": f"Closes at {closes_at:%Y-%m-%d %H:%M} ({closes_at.tzname()})"})
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": question}},
        "body": {"elements": elements},
    }


def _vote_button(label: str) -> dict:
    return {
        "tag": "button",
        "type": "default",
        "text": {"tag": "plain_text", "content": label},
        "behaviors": [{"type": "callback", "value": {"button_type": BUTTON_TYPE, "option": label}}],
    }


def _check_length(what: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise PollSyntaxError(f"{what} is {len(text)} characters long; at most {limit} fit")
