"""`python -m bench.inprocess`: cardbot's own cost per click, without HTTP, in CPU microseconds.

    python -m bench.inprocess                      # workload (a), trigger, 64 concurrent clients, 6,000 votes
    python -m bench.inprocess --fmt legacy --clicks 20000

Each vote goes the way a callback goes after Sanic has read it: `open_envelope` (decrypt, verify the
signature and the timestamp), `receive` (parse, dedupe, route, the card's turn, the plugin, merge, commit),
and the answer serialised, with `--clients` of them in flight at once, so the store batches writes as it
does under load. It prints CPU microseconds per click (this process, every thread: the figure to compare
between two builds, steadier than throughput on a shared machine) and clicks per second of wall time.
Run it with the other build's `cardbot` first on PYTHONPATH to compare builds.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

import orjson

from cardbot.config import LarkSecrets, load_config
from cardbot.protocol import open_envelope
from cardbot.receiving import receive
from cardbot.runtime import Runtime
from cardbot.testing import LarkCallbacks

from .requests_file import ENCRYPT_KEY, VERIFICATION_TOKEN
from .workloads import WORKLOADS, clicks, fill_database, start_cards


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("a", "b"), default="a")
    parser.add_argument("--fmt", choices=("trigger", "legacy"), default="trigger")
    parser.add_argument("--clicks", type=int, default=6_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3, help="measured passes (each on a fresh database)")
    args = parser.parse_args(argv)
    figures = [measure(args.workload, args.fmt, args.clicks, args.clients, seed) for seed in range(args.repeat)]
    cpu = sorted(f[0] for f in figures)
    rate = sorted(f[1] for f in figures)
    print(f"{args.workload}/{args.fmt}: cpu_us_per_click={cpu[len(cpu) // 2]:.0f} (min {cpu[0]:.0f}, max {cpu[-1]:.0f})"
          f" clicks_per_s={rate[len(rate) // 2]:.0f} (min {rate[0]:.0f}, max {rate[-1]:.0f})")
    return 0


def measure(workload_name: str, fmt: str, count: int, clients: int, seed: int) -> tuple[float, float]:
    """(CPU µs per click, clicks per second) of one pass on a fresh database."""
    workload = WORKLOADS[workload_name]
    kit = LarkCallbacks(VERIFICATION_TOKEN, ENCRYPT_KEY)
    build = kit.card_action_trigger if fmt == "trigger" else kit.legacy_card_action
    requests = [build(message_id=message_id, open_id=open_id, value=value)
                for message_id, open_id, value in clicks(workload, count, f"s{seed}_", seed=seed)]
    with tempfile.TemporaryDirectory(prefix="cardbot-inprocess-") as folder:
        directory = Path(folder)
        fill_database(directory / "cardbot.db", start_cards(workload, count))
        (directory / "plugins.toml").write_text(
            f'[bot]\ndatabase = "{directory / "cardbot.db"}"\nlog_level = "WARNING"\n\n[plugins.vote]\nenabled = true\n',
            encoding="utf-8")
        return asyncio.run(_serve(directory / "plugins.toml", requests, clients))


async def _serve(config_path: Path, requests: list, clients: int) -> tuple[float, float]:
    config = load_config(config_path)
    runtime = await Runtime.start(config, LarkSecrets(verification_token=VERIFICATION_TOKEN, encrypt_key=ENCRYPT_KEY))
    pending = iter(requests)
    answered = 0

    async def client() -> None:
        nonlocal answered
        for body, headers in pending:
            started = time.monotonic()
            envelope = open_envelope(body, headers, runtime.auth, peer_is_loopback=False)
            reply = await receive(runtime, envelope, started, keep_forever=not envelope.time_checked)
            if b"Vote counted" not in orjson.dumps(reply.body):
                raise RuntimeError(f"a vote was not counted: {reply.body}")
            answered += 1

    try:
        cpu_before, wall_before = _cpu(), time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        cpu, wall = _cpu() - cpu_before, time.monotonic() - wall_before
    finally:
        await runtime.stop()
    return cpu / answered * 1e6, answered / wall


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
