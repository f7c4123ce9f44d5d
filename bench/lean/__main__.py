"""`python -m bench.lean --db PATH --port N`: serve the lean reference on one worker (see bench/lean/)."""

from __future__ import annotations

import argparse
import logging
import sqlite3
from pathlib import Path

from sanic import Sanic

from . import __doc__ as PACKAGE_DOC
from .app import create_app
from .clicks import log
from .verify import ENCRYPT_KEY, VERIFICATION_TOKEN

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
"""cardbot's log format (core/logs.py)."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lean", description=(PACKAGE_DOC or "").split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a cardbot database (SQLite file)")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if not VERIFICATION_TOKEN and not ENCRYPT_KEY:
        parser.error("set LARK_VERIFICATION_TOKEN and/or LARK_ENCRYPT_KEY")
    problem = _not_a_cardbot_database(args.db)
    if problem:
        parser.error(problem)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    app = create_app(args.db)
    app.prepare(host="127.0.0.1", port=args.port, single_process=True)
    Sanic.serve_single(primary=app)


def _not_a_cardbot_database(path: Path) -> str | None:
    if not path.is_file():
        return f"no database at {path}"
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.close()
    except sqlite3.DatabaseError as error:
        return f"cannot read {path}: {error}"
    missing = {"cards", "history", "deliveries", "plugin_state"} - tables
    return f"{path} is not a cardbot database (no {', '.join(sorted(missing))} table)" if missing else None


if __name__ == "__main__":
    main()
