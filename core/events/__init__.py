"""Events and chat messages Lark pushes to the callback URL, taken by the plugins that claim them."""

from .event import Event, parse_event
from .identity import BotIdentity
from .pipeline import EventPipeline, Work

__all__ = ["BotIdentity", "Event", "EventPipeline", "Work", "parse_event"]
