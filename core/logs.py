"""Log set-up shared by the CLI and every worker process: plain lines on stderr; `plugin_logger` for plugins."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send cardbot's logs to stderr at `level` (idempotent)."""
    logger = logging.getLogger("cardbot")
    logger.setLevel(level.upper())
    if not any(getattr(handler, "_cardbot", False) for handler in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._cardbot = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False


def plugin_logger(name: str) -> logging.Logger:
    """The logger for plugin `name`: `cardbot.plugin.NAME`, so its lines go where cardbot's go, in its format,
    at `[bot] log_level`, and show the plugin's name (`… INFO [9935] cardbot.plugin.vote: …`)."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"plugin_logger takes the plugin's name (a non-empty string), not {name!r}")
    return logging.getLogger(f"cardbot.plugin.{name}")
