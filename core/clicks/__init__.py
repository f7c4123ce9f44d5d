"""The click path after parsing: dedupe, route, stale guard, dispatch, merge, store."""

from .dispatch import PluginFailed, PluginRunner
from .pipeline import ClickPipeline, Outcome

__all__ = ["ClickPipeline", "Outcome", "PluginFailed", "PluginRunner"]
