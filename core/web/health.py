"""`GET /healthz`: 200 while this worker can serve clicks, 503 when its database is unusable.

    {"status": "ok", "database": "ok", "plugins": [...], "routes": {...}, "owners": {...}}

`routes` maps each button_type to its plugin; `owners` maps every claim (`vote`, `command:poll`, `url:…`) to one.
With `[bot] long_connection`, `long_connection` is "connected" or "reconnecting" (still 200: the callback URL,
and the database, may serve meanwhile).

`database` is "ok", "busy" (another connection holds the lock: still 200, it passes), or one of
"full", "malformed", "missing", "read-only", "io-error" (SQLite) or "unreachable" (PostgreSQL): then 503
and `status` "unavailable", so a load balancer takes out only a host that cannot work.
"""

from __future__ import annotations

from sanic import Request

from ..store.faults import OK, UNUSABLE
from .answers import json_answer


async def healthz(request: Request):
    """Report readiness, the database's state and what this worker serves."""
    runtime = request.app.ctx.runtime
    database = await runtime.store.health()
    unusable = database in UNUSABLE
    status = "unavailable" if unusable else "ok" if database == OK else "degraded"
    body = {"status": status, "database": database, "plugins": sorted(runtime.host.plugins),
            "routes": runtime.host.routes.button_types, "owners": dict(runtime.host.routes.owners)}
    if runtime.long_connection is not None:
        body["long_connection"] = runtime.long_connection.state
    return json_answer(body, status=503 if unusable else 200)
