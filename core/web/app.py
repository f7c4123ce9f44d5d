"""The Sanic application: routes, error answers, and a Runtime per worker process.

    app = create_app(ServeOptions(config_path=Path("plugins.toml")))
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from sanic import Sanic

from ..config import load_config
from ..errors import ConfigError
from ..failures import describe
from ..logs import configure_logging
from ..runtime import Runtime
from .api import send_card
from .callback import lark_callback
from .errors import install_error_handlers
from .gc_tuning import tune_garbage_collector
from .health import healthz
from .metrics import prometheus_metrics
from .timeouts import set_timeouts

APP_NAME = "cardbot"
log = logging.getLogger("cardbot")


@dataclass(frozen=True)
class ServeOptions:
    """What `serve` passes to every worker process (picklable)."""

    config_path: Path
    dev: bool = False
    long_connection: bool = False
    """`serve --long-connection`: as `[bot] long_connection = true`."""
    startup_report: Path | None = None
    """With several workers: where a worker that cannot start writes its reason (the main process prints
    it once and exits 2); None: the worker prints it itself."""


STARTUP_FAILED = 2
"""The exit status of a worker (and of `serve`) that could not start."""


def report_startup_failure(reason: str, report: Path | None) -> None:
    """Say why start-up failed: one `error:` line on stderr, or (several workers) the first reason into
    `report` for the main process to print once."""
    if report is None:
        print(f"error: {reason}", file=sys.stderr, flush=True)
        return
    try:
        with open(report, "x", encoding="utf-8") as out:  # the first worker to fail tells the reason
            out.write(reason)
    except FileExistsError:
        pass


def create_app(options: ServeOptions) -> Sanic:
    """Build the app; each worker opens its Runtime (plugins, database) before it serves."""
    config = load_config(options.config_path)
    if options.dev:
        config = replace(config, bot=replace(config.bot, dev=True))
    if options.long_connection:
        config = replace(config, bot=replace(config.bot, long_connection=True))
    configure_logging(config.bot.log_level)
    app = Sanic(APP_NAME)
    app.config.REQUEST_MAX_SIZE = config.bot.max_body_bytes
    set_timeouts(app, config.bot)  # a request that stalls gets 408 within [bot] request_timeout
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.ACCESS_LOG = config.bot.access_log
    app.config.MOTD = False
    app.config.NOISY_EXCEPTIONS = False
    app.config.GRACEFUL_SHUTDOWN_TIMEOUT = 5.0
    install_error_handlers(app)
    app.add_route(lark_callback, "/lark/callback", methods=["POST"], name="lark_callback")
    app.add_route(healthz, "/healthz", methods=["GET"], name="healthz")
    app.add_route(send_card, "/api/cards", methods=["POST"], name="send_card")
    if config.bot.metrics:
        app.add_route(prometheus_metrics, "/metrics", methods=["GET"], name="metrics")

    @app.before_server_start
    async def open_runtime(app: Sanic) -> None:
        try:
            app.ctx.runtime = await Runtime.start(config)
        except Exception as error:  # noqa: BLE001 - start-up fails with one clear line, no traceback
            log.debug("start-up failed", exc_info=True)
            reason = str(error) if isinstance(error, ConfigError) else f"cannot start: {describe(error)}"
            report_startup_failure(reason, options.startup_report)
            os._exit(STARTUP_FAILED)
        tune_garbage_collector()

    @app.after_server_stop
    async def close_runtime(app: Sanic) -> None:
        await app.ctx.runtime.stop()

    return app
