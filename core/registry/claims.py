"""What each plugin claims (button types, component names, commands, URL patterns, events, messages), and
who owns what: one plugin per claim, or a start-up error that names every claimant.

    claims = read_claims(plugin_name, returned)        # what cardbot_claims returned, checked
    routes = build_routes(plugins, config)              # Routes: who owns each claim
    routes.owner_by_button_type.get("vote")             # "vote"

Every claim has a key, the form it takes in `[owners]` and in `plugins list`: a button type as itself,
the others as `name:KEY`, `command:KEY`, `url:PATTERN`, `event:TYPE`, and `messages`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import ConfigError

if TYPE_CHECKING:
    from .host import LoadedPlugin

KINDS = ("button_types", "names", "commands", "url_patterns", "events")
"""The keyed kinds of claim, as `cardbot_claims` names them in the mapping it may return."""
PREFIXES = {"button_types": "", "names": "name:", "commands": "command:", "url_patterns": "url:", "events": "event:"}
MESSAGES = "messages"
RESERVED_EVENTS = {
    "card.action.trigger": "clicks are claimed by button_types or names",
    "url.preview.get": "link previews are claimed by url_patterns",
    "im.message.receive_v1": "chat messages are claimed by commands, or by messages = True",
}
_COMMAND = re.compile(r"[a-z][a-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Claims:
    """What one plugin takes, as `cardbot_claims` may return it (a list of strings means button types only):

        Claims(button_types=["vote"], commands=["poll"])
        {"names": ["expense_form"], "url_patterns": ["https://tickets.example.com/*"], "messages": True}

    - `button_types`: clicks whose value has this `button_type` (or whose string value is it);
    - `names`: clicks on a component with this `name` (form submit buttons, inputs, pickers);
    - `commands`: chat commands by their first word (lower case: `poll`);
    - `url_patterns`: link previews of URLs matching the pattern (`*` matches any run of characters);
    - `events`: other event types Lark sends (`im.chat.member.bot.added_v1`, …);
    - `messages`: chat messages to the bot that are not a claimed command.
    """

    button_types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    url_patterns: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    messages: bool = False

    def keys(self) -> list[str]:
        """Every claim as its `[owners]` key, in kind order: `vote`, `command:poll`, `messages`, …"""
        keys = [PREFIXES[kind] + key for kind in KINDS for key in getattr(self, kind)]
        return keys + [MESSAGES] if self.messages else keys

    def __bool__(self) -> bool:
        return bool(self.keys())


@dataclass(frozen=True)
class Routes:
    """Who owns each claim: `owners` maps every claim key (`vote`, `command:poll`, …) to one plugin name."""

    owners: Mapping[str, str] = field(default_factory=dict)
    url_patterns: tuple[tuple[str, str], ...] = ()
    """(pattern, plugin) pairs, the most specific pattern (most literal characters) first."""

    def owner(self, kind: str, key: str | None) -> str | None:
        """The plugin owning `key` of `kind` (one of KINDS), or None."""
        return self.owners.get(PREFIXES[kind] + key) if key else None

    @property
    def messages(self) -> str | None:
        """The plugin taking chat messages that are not a claimed command."""
        return self.owners.get(MESSAGES)

    @property
    def hears_chat(self) -> bool:
        """Whether any plugin takes chat messages: one claims a command, or `messages`."""
        return any(key == MESSAGES or key.startswith(PREFIXES["commands"]) for key in self.owners)

    @property
    def button_types(self) -> dict[str, str]:
        """button_type → plugin (what `/healthz` reports as `routes`)."""
        return {key: name for key, name in self.owners.items() if _kind_of(key) == "button_types"}

    def owner_of_url(self, url: str | None) -> str | None:
        """The plugin whose URL pattern matches `url` (the most specific one), or None."""
        if not url:
            return None
        return next((name for pattern, name in self.url_patterns if _glob(pattern).fullmatch(url)), None)


HOOK_OF_KIND = {"button_types": "cardbot_action", "names": "cardbot_action", "commands": "cardbot_command",
                "url_patterns": "cardbot_link_preview", "events": "cardbot_event", MESSAGES: "cardbot_message"}
"""The hook that takes what each kind of claim routes."""


def missing_hooks(claims: Claims, hooks: Iterable[str]) -> list[tuple[str, str]]:
    """(kind, hook) for each kind `claims` uses whose hook is not among `hooks`."""
    have = set(hooks)
    used = [kind for kind in KINDS if getattr(claims, kind)] + ([MESSAGES] if claims.messages else [])
    return [(kind, HOOK_OF_KIND[kind]) for kind in used if HOOK_OF_KIND[kind] not in have]


def read_claims(plugin: str, returned: Any) -> Claims:
    """`returned` (a list of button types, a mapping of kinds, or a Claims) checked; ConfigError naming the plugin."""
    if returned is None:
        return Claims()
    if isinstance(returned, Claims):
        returned = {kind: getattr(returned, kind) for kind in KINDS} | {MESSAGES: returned.messages}
    if isinstance(returned, Mapping):
        unknown = sorted(set(returned) - set(KINDS) - {MESSAGES})
        if unknown:
            raise ConfigError(f"plugin {plugin!r}: cardbot_claims returned unknown kind(s) "
                              f"{', '.join(map(repr, unknown))}; known: {', '.join(KINDS)}, {MESSAGES}")
        messages = returned.get(MESSAGES, False)
        if not isinstance(messages, bool):
            raise ConfigError(f"plugin {plugin!r}: cardbot_claims {MESSAGES} must be true or false, not {messages!r}")
        lists = {kind: _strings(plugin, kind, returned.get(kind, ())) for kind in KINDS}
        claims = Claims(**lists, messages=messages)
    else:
        claims = Claims(button_types=_strings(plugin, "button_types", returned))
    _check_keys(plugin, claims)
    return claims


def merge_claims(plugin: str, declared: Claims, routed: Claims) -> Claims:
    """What `cardbot_claims` returned (`declared`) and what the plugin's router routes (`routed`), together,
    checked as `read_claims` checks them."""
    merged = Claims(**{kind: tuple(dict.fromkeys(getattr(declared, kind) + getattr(routed, kind)))
                       for kind in KINDS}, messages=declared.messages or routed.messages)
    _check_keys(plugin, merged)
    return merged


def _strings(plugin: str, kind: str, items: Any) -> tuple[str, ...]:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ConfigError(f"plugin {plugin!r}: cardbot_claims must give {kind} as a list of strings, not {items!r}")
    items = list(items)
    if not all(isinstance(item, str) and item for item in items):
        raise ConfigError(f"plugin {plugin!r}: cardbot_claims must give {kind} as a list of non-empty strings, "
                          f"not {items!r}")
    return tuple(dict.fromkeys(items))


def _check_keys(plugin: str, claims: Claims) -> None:
    for button_type in claims.button_types:
        if button_type == MESSAGES or _kind_of(button_type) != "button_types":
            raise ConfigError(f"plugin {plugin!r}: button_type {button_type!r} reads as another kind of claim; "
                              f"give names, commands, URL patterns and events under their own keys")
    for command in claims.commands:
        if not _COMMAND.fullmatch(command):
            raise ConfigError(f"plugin {plugin!r}: command {command!r} must be a lower-case word "
                              f"(a letter, then letters, digits, - or _)")
    for event in claims.events:
        if event in RESERVED_EVENTS:
            raise ConfigError(f"plugin {plugin!r}: event {event!r} cannot be claimed as an event: "
                              f"{RESERVED_EVENTS[event]}")
    for pattern in claims.url_patterns:
        if not re.match(r"(https?://|\*)", pattern):
            raise ConfigError(f"plugin {plugin!r}: URL pattern {pattern!r} must start with http://, https:// or *")


def build_routes(plugins: Mapping[str, LoadedPlugin], config: Config) -> Routes:
    """Give each claim its one owning plugin; `[owners]` settles a shared claim (overlapping URL patterns
    of two plugins cannot be settled: narrow one of them)."""
    claimants: dict[str, list[str]] = {}
    for plugin in plugins.values():
        for key in plugin.claims.keys():
            claimants.setdefault(key, []).append(plugin.name)
    _check_owners(claimants, config)
    owners = {}
    for key, names in claimants.items():
        owner = config.owners.get(key)
        if owner is None and len(names) > 1:
            raise ConfigError(
                f"{_describe(key)} is claimed by {len(names)} enabled plugins: {_quote(names)}. "
                f"Disable one, or name the owner in {config.path.name}:\n[owners]\n{_toml_key(key)} = \"{names[0]}\""
            )
        owners[key] = owner or names[0]
    patterns = [(key.removeprefix("url:"), name) for key, name in owners.items() if _kind_of(key) == "url_patterns"]
    _check_overlaps(patterns)
    patterns.sort(key=lambda item: -len(item[0].replace("*", "")))
    return Routes(owners, tuple(patterns))


def _check_overlaps(patterns: list[tuple[str, str]]) -> None:
    for index, (pattern, name) in enumerate(patterns):
        for other, other_name in patterns[index + 1:]:
            if name != other_name and globs_overlap(pattern, other):
                raise ConfigError(
                    f"URL patterns {pattern!r} ({name!r}) and {other!r} ({other_name!r}) can match the same URL, "
                    f"so a link preview would have two owners; narrow one of them, or disable one plugin")


def globs_overlap(first: str, second: str) -> bool:
    """True when some string matches both patterns (`*` matches any run of characters, all else is literal)."""

    @lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        if i == len(first) and j == len(second):
            return True
        if i < len(first) and first[i] == "*":
            return meet(i + 1, j) or (j < len(second) and meet(i, j + 1))
        if j < len(second) and second[j] == "*":
            return meet(i, j + 1) or (i < len(first) and meet(i + 1, j))
        return i < len(first) and j < len(second) and first[i] == second[j] and meet(i + 1, j + 1)

    return meet(0, 0)


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def _check_owners(claimants: Mapping[str, list[str]], config: Config) -> None:
    for key, owner in config.owners.items():
        names = claimants.get(key, [])
        if owner not in names:
            who = f"it is claimed by {_quote(names)}" if names else "no enabled plugin claims it"
            raise ConfigError(
                f"{config.path}: [owners] {_toml_key(key)} = {owner!r}, but {owner!r} does not claim it "
                f"(or is not enabled); {who}"
            )


def _kind_of(key: str) -> str:
    if key == MESSAGES:
        return MESSAGES
    return next((kind for kind, prefix in PREFIXES.items() if prefix and key.startswith(prefix)), "button_types")


def _describe(key: str) -> str:
    kind = _kind_of(key)
    if kind == MESSAGES:
        return "the claim on chat messages (messages = True)"
    label = {"button_types": "button_type", "names": "component name", "commands": "command",
             "url_patterns": "URL pattern", "events": "event"}[kind]
    return f"{label} {key.removeprefix(PREFIXES[kind])!r}"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(names: list[str]) -> str:
    return " and ".join(repr(name) for name in names)
