"""`GET /healthz`: 200 once the worker has loaded its plugins and opened the database."""

from __future__ import annotations

from sanic import Request

from .answers import json_answer


async def healthz(request: Request):
    """Report readiness and what this worker serves."""
    runtime = request.app.ctx.runtime
    return json_answer({"status": "ok", "plugins": sorted(runtime.host.plugins), "routes": runtime.host.routes})
