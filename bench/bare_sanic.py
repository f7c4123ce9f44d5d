"""The ceiling: a bare Sanic app whose one POST route parses the JSON body and returns a fixed card.

    python -m bench.bare_sanic --port 8100 --workers 1
"""

from __future__ import annotations

import argparse
import json

from sanic import Sanic, response
from sanic.request import Request
from sanic.worker.loader import AppLoader

from .workloads import poll_card

ANSWER = json.dumps({"toast": {"type": "success", "content": "Vote counted"},
                     "card": {"type": "raw", "data": poll_card()}}, separators=(",", ":"))


async def callback(request: Request) -> response.HTTPResponse:
    """Parse the body (as any handler must) and answer the same card every time."""
    json.loads(request.body)
    return response.raw(ANSWER, content_type="application/json")


async def healthz(request: Request) -> response.HTTPResponse:
    return response.text("ok")


def create_app(name: str = "bare") -> Sanic:
    """The app, built the same way in every worker process."""
    app = Sanic(name)
    app.config.ACCESS_LOG = False
    app.config.MOTD = False
    app.add_route(callback, "/lark/callback", methods=["POST"])
    app.add_route(healthz, "/healthz", methods=["GET"])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    loader = AppLoader(factory=create_app)
    app = loader.load()
    app.prepare(host="127.0.0.1", port=args.port, workers=args.workers, single_process=args.workers == 1)
    if args.workers == 1:
        Sanic.serve_single(primary=app)
    else:
        Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
