"""`python -m bench`: measure cardbot against the lean reference, bare Sanic and the lark-oapi peer; write
docs/performance.md.

    python -m bench                      # every configuration, 3 interleaved rounds (about 25 minutes)
    python -m bench --quick              # 5 rounds of 3 s: medians (min..max), then ratio_vs_lean=… ratio_vs_peer=…
    python -m bench --only bare/1w 'a/cardbot/*' --rounds 1
    python -m bench --only 'pg/*' '[ab]/cardbot/trigger/*' --rounds 1   # PostgreSQL next to SQLite
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import importlib.util
import shutil
import sys
from pathlib import Path

from . import postgres
from .micro import patch_30kb_card
from .report import final_runs, quick_block, render, summarize
from .runner import ROOT_OUT, Runner, all_configs, quick_configs
from .wrk import wrk_path

REPORT = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
QUICK_ROUNDS = 5
QUICK_DURATION = 3.0
PEER_MODULES = {"lark_oapi": "lark-oapi", "flask": "flask", "gunicorn": "gunicorn"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="workload (a), 1 worker, both formats: bare, lean, cardbot and peer in short rounds; "
                             "prints medians with their min..max and a headline line")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds (default 3; quick {QUICK_ROUNDS})")
    parser.add_argument("--duration", type=float,
                        help=f"seconds of load per run (default 10; quick {QUICK_DURATION:g})")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections (default 64)")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="run only these configurations (names or shell patterns, e.g. bare/1w 'a/cardbot/*')")
    parser.add_argument("--list", action="store_true", help="list the configuration names and exit")
    parser.add_argument("--postgres", default=postgres.ADMIN_URL, metavar="URL",
                        help="PostgreSQL server for the pg/* configurations, as a URL of a database to connect to "
                             "while creating and dropping one database per run; its CPU is read from this "
                             "machine's /proc, so it must run here (default %(default)s)")
    args = parser.parse_args(argv)

    configs = quick_configs() if args.quick else all_configs()
    if args.list:
        print("\n".join(config.name for config in configs))
        return 0
    if args.only:
        configs = [c for c in configs if any(fnmatch.fnmatchcase(c.name, pattern) for pattern in args.only)]
        if not configs:
            parser.error("--only matches no configuration (see --list)")
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else 3)
    duration = args.duration or (QUICK_DURATION if args.quick else 10.0)
    check_dependencies(any(config.kind == "peer" for config in configs))
    pg_settings = pg_server(args.postgres) if any(config.backend == "pg" for config in configs) else None

    started = datetime.datetime.now(datetime.timezone.utc)
    shutil.rmtree(ROOT_OUT, ignore_errors=True)
    runner = Runner(ROOT_OUT, duration=duration, connections=args.connections, postgres_url=args.postgres)
    runs = []
    try:
        progress(f"calibrating: bare Sanic, 1 worker… {runner.calibrate():,.0f} req/s")
        for round_number in range(1, rounds + 1):
            for index, config in enumerate(configs, 1):
                for run in runner.run(config, round_number):
                    runs.append(run)
                    state = "ok" if run.valid else f"INVALID: {run.result.invalid}"
                    progress(f"round {round_number}/{rounds} [{index}/{len(configs)}] {config.name}: "
                             f"{run.result.rps:,.0f} req/s, p99 {run.result.p99_ms:.1f} ms, "
                             f"{run.peak_kb / 1024:.0f} MB ({run.seconds:.0f} s) {state}")
    finally:
        runner.close()
    rows = summarize(runs)
    if args.quick:
        print(quick_block(rows, rounds=rounds, duration=duration, connections=args.connections))
        return 0 if all(run.valid for run in final_runs(runs).values()) else 1  # a valid redo counts
    micro = patch_30kb_card()
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(rows, command=command.strip(), rounds=rounds, duration=duration,
                  connections=args.connections, micro=micro, started=started, pg_settings=pg_settings)
    target = ROOT_OUT / "performance.md" if args.only else REPORT
    target.write_text(text, encoding="utf-8")
    progress(f"wrote {target}; server logs are in {ROOT_OUT}")
    print(text)
    return 0


def check_dependencies(peer: bool) -> None:
    """wrk, and for the peer the bench Python packages, with how to install what is missing."""
    wrk_path()
    missing = [name for module, name in PEER_MODULES.items() if peer and importlib.util.find_spec(module) is None]
    if missing:
        raise SystemExit(f"error: the peer needs {', '.join(missing)}: pip install {' '.join(missing)} "
                         "(or pip install -e '.[bench]')")


def pg_server(url: str) -> dict[str, str]:
    """The PostgreSQL server's settings that decide what a commit costs, or SystemExit when it cannot be
    reached."""
    try:
        return postgres.server_settings(url)
    except Exception as error:  # psycopg.Error, or a URL psycopg cannot parse
        reason = (str(error).strip().splitlines() or [repr(error)])[0]
        raise SystemExit(f"error: the pg/* configurations need the PostgreSQL server at {url}: {reason}")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
