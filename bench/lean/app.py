"""Step 5 of the lean reference: the Sanic app (`POST /lark/callback`, `GET /healthz`)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import orjson
from sanic import Request, Sanic, response

from .clicks import Lean
from .verify import Refused, open_click


async def callback(request: Request) -> response.HTTPResponse:
    started = time.monotonic()
    try:
        click = open_click(request.body, request.headers, time.time())
    except Refused as refused:
        return response.raw(orjson.dumps({"error": refused.reason}), status=refused.status,
                            content_type="application/json")
    body = await request.app.ctx.lean.answer(click, started)
    return response.raw(orjson.dumps(body), content_type="application/json")


async def healthz(request: Request) -> response.HTTPResponse:
    return response.text("ok")


def create_app(database: Path) -> Sanic:
    """The app; the database must be a cardbot database (bench.workloads.fill_database makes one)."""
    app = Sanic("lean_reference")
    app.config.ACCESS_LOG = False
    app.config.MOTD = False
    app.config.REQUEST_MAX_SIZE = 1024 * 1024  # [bot] max_body_bytes
    app.add_route(callback, "/lark/callback", methods=["POST"])
    app.add_route(healthz, "/healthz", methods=["GET"])

    @app.before_server_start
    async def open_database(app: Sanic) -> None:
        app.ctx.lean = Lean(database)
        gc.collect()  # as cardbot's serving workers do (core/web/gc_tuning.py)
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)

    return app
