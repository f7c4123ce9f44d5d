"""Finding, loading and checking plugins, and the table of who owns which button_type."""

from .discovery import PluginSource, discover
from .host import LoadedPlugin, PluginHost, load_plugins

__all__ = ["LoadedPlugin", "PluginHost", "PluginSource", "discover", "load_plugins"]
