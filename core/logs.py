"""Log set-up shared by the CLI and every worker process: plain lines on stderr."""

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
