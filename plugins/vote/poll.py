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

from collections.abc import Sequence

from .render import BUTTON_TYPE

MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_QUESTION = 100
"""Most characters in a question."""
MAX_OPTION = 80
"""Most characters in an option: its button then reads "Label (N)", within Lark's 100 characters of button text."""
POLL_USAGE = (
    f'Usage: poll QUESTION OPTION OPTION… ({MIN_OPTIONS} to {MAX_OPTIONS} options; '
    'quote words with spaces: poll "Lunch today?" Noodles Rice "Hot pot")'
)


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


def poll_card(question: str, options: Sequence[str]) -> dict:
    """A shared JSON 2.0 card titled `question`, with one vote button per option (read_poll's output)."""
    return {
        "schema": "2.0",
        "config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": question}},
        "body": {"elements": [_vote_button(option) for option in options]},
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
