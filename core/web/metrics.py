"""`GET /metrics`: what core/metrics.py counts, in Prometheus text format, summed over the server's workers
(on by default, no authentication; `[bot] metrics = false` answers 404)."""

from __future__ import annotations

import asyncio

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sanic import Request
from sanic.response import HTTPResponse, raw

from .. import metrics


async def prometheus_metrics(request: Request) -> HTTPResponse:
    """Every metric now (off the serving loop: with several workers it reads each one's file)."""
    body = await asyncio.to_thread(generate_latest, metrics.registry())
    return raw(body, content_type=CONTENT_TYPE_LATEST)
