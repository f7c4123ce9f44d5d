"""Read a chat command ("@Bot /poll "Lunch?" Noodles Rice") out of a `Message`.

    command = read_command(message, bot_open_id="ou_bot")
    if command and command.name == "poll":
        question, *options = command.args
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .message import Mention, Message

COMMAND_TYPES = ("text", "post")
_WORD = re.compile(r"/?([A-Za-z][A-Za-z0-9_-]*)(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Command:
    """A command word and its arguments, as a person typed them to the bot.

        command.name        # "poll": lower-cased, without the leading "/"
        command.args        # ("Lunch today?", "Noodles", "ou_…"): shell-style words, mentions as ids
        command.text        # '"Lunch today?" Noodles ou_…': everything after the name, mentions as ids
        command.mentions    # the people mentioned other than the bot

    A word that is the mention key of someone other than the bot ("@_user_2") becomes their id
    (`Mention.id`); the bot's own key and "@_all" stay as typed.
    """

    name: str
    args: tuple[str, ...]
    text: str
    mentions: tuple[Mention, ...]
    message: Message
    syntax_error: str | None = None
    """Why the arguments are not shell words ("No closing quotation"); `args` is then split at whitespace."""


def read_command(message: Message, bot_open_id: str | None) -> Command | None:
    """The command in a text or post message, or None when the message is not one.

    Leading @-mentions of the bot (mentions whose open_id is `bot_open_id`) are removed first. In a
    group (any chat_type but "p2p") the message must start with one, so a group message is never a
    command when `bot_open_id` is None; in a direct chat none is needed. Then comes an optional "/"
    and the command word, `[A-Za-z][A-Za-z0-9_-]*`, ended by whitespace or the end of the text. Any
    Unicode whitespace (full-width and non-breaking spaces too) separates words.
    """
    if message.message_type not in COMMAND_TYPES:
        return None
    bot_keys = [m.key for m in message.mentions if bot_open_id is not None and m.open_id == bot_open_id]
    text, addressed = _strip_leading(message.text, bot_keys)
    if not addressed and message.chat_type != "p2p":
        return None
    word = _WORD.match(text)
    if word is None:
        return None
    others = tuple(m for m in message.mentions if m.key not in bot_keys)
    ids = {m.key: m.id for m in others if m.id}
    rest = text[word.end():].strip()
    words, syntax_error = _split(rest)
    return Command(
        name=word.group(1).lower(),
        args=tuple(ids.get(each, each) for each in words),
        text=_replace_keys(rest, ids),
        mentions=others,
        message=message,
        syntax_error=syntax_error,
    )


def _strip_leading(text: str, keys: list[str]) -> tuple[str, bool]:
    """`text` without its leading whitespace and leading `keys`, and whether any key was removed."""
    longest_first = sorted(keys, key=len, reverse=True)
    text = text.lstrip()
    removed = False
    while key := next((key for key in longest_first if _starts_with_key(text, key)), None):
        text = text[len(key):].lstrip()
        removed = True
    return text, removed


def _starts_with_key(text: str, key: str) -> bool:
    """Whether `text` starts with the mention key `key` ("@_user_1", and not the start of "@_user_12")."""
    return text.startswith(key) and not text[len(key):len(key) + 1].isdigit()


def _split(text: str) -> tuple[list[str], str | None]:
    """Shell-style (POSIX) words, any Unicode whitespace separating them; a plain split when quoting is broken."""
    lexer = shlex.shlex(text, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.whitespace += "".join({char for char in text if char.isspace()})
    try:
        return list(lexer), None
    except ValueError as error:
        return text.split(), str(error)


def _replace_keys(text: str, ids: dict[str, str]) -> str:
    """`text` with each mention key in `ids` replaced by its id (longest key first, so "@_user_12" stays whole)."""
    if not ids:
        return text
    keys = "|".join(re.escape(key) for key in sorted(ids, key=len, reverse=True))
    return re.sub(f"(?:{keys})(?!\\d)", lambda found: ids[found.group()], text)
