"""cardbot: a plugin framework for Lark/Feishu interactive-card bots.

Plugins import everything they need from here:

    from cardbot import hookimpl, Patch, Action, ActionFailed

`core/hookspecs.py` lists every hook; docs/plugins.md is the guide.
"""

if __name__ == "core":  # the repository folder imported by its folder name
    raise ImportError("import cardbot, not core: `pip install -e .` installs core/ as the package `cardbot`")

from .action import LEGACY, TRIGGER, URL_PREVIEW, Action, Operator
from .bot import Bot
from .errors import ActionFailed, CardbotError, CardInvalid, ConfigError, PatchError
from .events import Event
from .frozen import FrozenDict, freeze, thaw
from .hookspecs import hookimpl
from .later import Outbox, Outgoing, Timer, Timers
from .logs import plugin_logger
from .messages import Command, Mention, Message
from .patches import Patch
from .previews import LinkPreview, LinkPreviewRequest
from .registry.claims import Claims
from .routing import Router
from .state import State, StateScope
from .toast import Toast

__version__ = "0.1.0"

__all__ = [
    "LEGACY",
    "TRIGGER",
    "URL_PREVIEW",
    "Action",
    "ActionFailed",
    "Bot",
    "CardInvalid",
    "CardbotError",
    "Claims",
    "Command",
    "ConfigError",
    "Event",
    "FrozenDict",
    "LinkPreview",
    "LinkPreviewRequest",
    "Mention",
    "Message",
    "Operator",
    "Outbox",
    "Outgoing",
    "Patch",
    "PatchError",
    "Router",
    "State",
    "StateScope",
    "Timer",
    "Timers",
    "Toast",
    "__version__",
    "freeze",
    "hookimpl",
    "plugin_logger",
    "thaw",
]
