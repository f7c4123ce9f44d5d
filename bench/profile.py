"""`python -m bench.profile`: where a cardbot worker spends its time under load, sampled by py-spy.

    python -m bench.profile                       # workload (a), trigger, 1 worker, 10 s of wrk at 64 connections
    python -m bench.profile --fmt legacy --seconds 5 --top 40 --collapsed out.txt

It serves the benchmark's workload with the `vote` plugin (as `python -m bench` does), samples the serving
process with py-spy (`pip install -e '.[bench]'`; it needs ptrace, which root has) while wrk sends, and
prints the functions that hold the most samples: inclusive (the function or anything it called is running)
and exclusive (the function's own code). `--collapsed` keeps the stacks for a flame graph.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import tempfile
from pathlib import Path

from .requests_file import write_request_files
from .servers import cardbot_server
from .workloads import WORKLOADS, clicks, fill_database, start_cards
from .wrk import THREADS, Load

EXPECTED = '"Vote counted"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("a", "b"), default="a")
    parser.add_argument("--fmt", choices=("trigger", "legacy"), default="trigger")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of load (and of sampling)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--requests", type=int, default=60_000, help="distinct votes to build (never replayed)")
    parser.add_argument("--top", type=int, default=30, help="functions to print")
    parser.add_argument("--collapsed", type=Path, help="also write py-spy's collapsed stacks here")
    args = parser.parse_args(argv)
    if shutil.which("py-spy") is None:
        raise SystemExit("error: py-spy is not installed: pip install -e '.[bench]'")

    with tempfile.TemporaryDirectory(prefix="cardbot-profile-") as folder:
        directory = Path(folder)
        workload = WORKLOADS[args.workload]
        fill_database(directory / "cardbot.db", start_cards(workload, args.requests))
        config = directory / "plugins.toml"
        config.write_text(f'[bot]\ndatabase = "{directory / "cardbot.db"}"\n\n[plugins.vote]\nenabled = true\n',
                          encoding="utf-8")
        write_request_files(directory / "requests", args.fmt, clicks(workload, args.requests, "p"), THREADS)
        server = cardbot_server(config, 1, directory / "server.log").start()
        try:
            stacks = directory / "stacks.txt"
            load = Load([f"http://127.0.0.1:{server.port}/lark/callback"], directory / "requests", expected=EXPECTED,
                        duration=args.seconds, connections=args.connections)
            load.wait_sending()
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(server.process.pid), "--format", "raw",  # type: ignore[union-attr]
                                    "--duration", str(int(args.seconds)), "--rate", "200", "--nonblocking",
                                    "--output", str(stacks)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
            result, _ = load.finish()
            _, errors = spy.communicate(timeout=60)
        finally:
            server.stop()
        if not stacks.exists():
            raise SystemExit(f"error: py-spy recorded nothing: {errors.strip()}")
        print(f"load: {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
              f"{'' if result.invalid is None else f' (INVALID: {result.invalid})'}")
        text = stacks.read_text(encoding="utf-8")
        if args.collapsed:
            args.collapsed.write_text(text, encoding="utf-8")
        print(summarize(text, args.top))
    return 0


def summarize(collapsed: str, top: int) -> str:
    """The `top` functions by inclusive and by exclusive share of the samples in py-spy's collapsed stacks
    (`frame;frame;… COUNT` per line, outermost first)."""
    inclusive: collections.Counter[str] = collections.Counter()
    exclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        exclusive[frames[-1]] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples", "", "inclusive  exclusive  function"]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{100 * count / total:8.1f}%  {100 * exclusive[frame] / total:8.1f}%  {frame}")
    lines += ["", "exclusive (own code) top:"]
    for frame, count in exclusive.most_common(top):
        lines.append(f"{100 * count / total:8.1f}%  {frame}")
    return "\n".join(lines)


def _short(frame: str) -> str:
    """`function (path/to/module.py:LINE)` → `function (module.py)`: lines of one function add up."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    return f"{name} ({'/'.join(parts[-2:])})" if parts else name


if __name__ == "__main__":
    raise SystemExit(main())
