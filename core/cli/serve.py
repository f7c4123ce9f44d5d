"""`bot.py serve`: check the configuration once, then run the Sanic server with N worker processes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..config import LarkSecrets, load_config
from ..errors import ConfigError
from ..logs import configure_logging
from ..metrics import MULTIPROCESS_DIR
from ..longconn import Refused, Unavailable, fetch_endpoint
from ..registry import load_plugins
from ..store.opening import prepare_database

if TYPE_CHECKING:
    from sanic import Sanic

log = logging.getLogger("cardbot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `serve`; each overrides the `[bot]` table."""
    parser.add_argument("--host", help="address to listen on (default [bot] host, 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to listen on (default [bot] port, 8000)")
    parser.add_argument("--workers", type=_positive, help="worker processes sharing the database (default [bot] workers, 1)")
    parser.add_argument("--dev", action="store_true",
                        help="with no secrets set, accept unsigned callbacks from loopback (never in production)")
    parser.add_argument("--long-connection", action="store_true",
                        help="also receive over Lark's long connection (as [bot] long_connection = true)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped. Start-up problems are reported before any worker starts.

    Returns 2 when a worker could not start (the reason printed once), 1 when several workers kept dying
    and the watchdog stopped the server (docs/admin.md).
    """
    from sanic import Sanic  # imported here so the other subcommands start quickly
    from sanic.worker.loader import AppLoader

    from ..web.app import STARTUP_FAILED, ServeOptions, create_app
    from ..web.watchdog import WorkerWatchdog

    config = load_config(args.config)
    configure_logging(config.bot.log_level)
    load_plugins(config)  # fail fast, once, with a clear message
    if args.long_connection or config.bot.long_connection:
        check_long_connection(LarkSecrets.from_env())
    asyncio.run(prepare_database(config.bot))  # the schema once, before the workers share the database
    workers = args.workers or config.bot.workers
    with contextlib.ExitStack() as cleanup:
        # several workers: one that cannot start writes its reason here, for this process to print once
        report = (Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cardbot-start-"))) / "error"
                  if workers > 1 else None)
        # every worker writes its metrics into a fresh folder of this server's, removed when it stops
        os.environ[MULTIPROCESS_DIR] = cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cardbot-metrics-"))
        options = ServeOptions(args.config, dev=args.dev, long_connection=args.long_connection, startup_report=report)
        loader = AppLoader(factory=functools.partial(create_app, options))
        app = loader.load()
        host, port = args.host or config.bot.host, args.port if args.port is not None else config.bot.port
        app.prepare(host=host, port=port, workers=workers, single_process=workers == 1,
                    access_log=config.bot.access_log, motd=False)
        # once, when the port is bound: in the only worker, or in the main process once every worker started
        app.register_listener(_announcer(host, port, workers, config.bot.callback_url),
                              "after_server_start" if workers == 1 else "main_process_ready")
        if workers == 1:
            Sanic.serve_single(primary=app)  # the worker is this process: if it dies, the command ends with it
            return 0
        watchdog = WorkerWatchdog(startup_report=report)  # replaces a worker that dies; stops when they keep dying
        watchdog.attach(app)
        Sanic.serve(primary=app, app_loader=loader)
    if watchdog.startup_failed:
        return STARTUP_FAILED
    return 1 if watchdog.gave_up else 0


def _announcer(host: str, port: int, workers: int, callback_url: bool) -> Callable[[Sanic], None]:
    """A listener logging where the server listens: `cardbot listening on http://HOST:PORT/lark/callback …`."""
    address = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    where = f"{address}/lark/callback" if callback_url else f"{address} (the callback URL is off)"

    def announce(app: Sanic) -> None:
        log.info("cardbot listening on %s with %d worker%s", where, workers, "" if workers == 1 else "s")

    return announce


def check_long_connection(secrets: LarkSecrets) -> None:
    """Ask Lark for a long-connection endpoint once: a refusal (wrong credentials, …) stops start-up with it;
    no answer is only a warning (each worker keeps trying)."""
    try:
        fetch_endpoint(secrets.api_base, secrets.app_id, secrets.app_secret)
    except Refused as refused:
        raise ConfigError(f"the long connection was refused: {refused}") from None
    except Unavailable as unavailable:
        log.warning("the long connection cannot be checked now (%s); the workers keep trying", unavailable)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("must be between 1 and 65535")
    return value
