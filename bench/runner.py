"""The configurations, and one measured run of one of them: prepare, start, build requests, wrk, stop.

    runner = Runner(out_dir, duration=10, connections=64)
    runner.calibrate()                       # a short probe of bare Sanic: how many requests to build
    run = runner.run(Config("cardbot", 1, "a", "trigger"), round_number=1)
"""

from __future__ import annotations

import itertools
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .requests_file import write_request_files
from .servers import Server, bare_server, cardbot_server, peer_server
from .workloads import (LARGE_CARD, POLL_CARDS, SMALL_CARD, WORKLOADS, clicks, fill_database, filler_cards,
                        start_cards)
from .wrk import THREADS, WrkResult, run_wrk

ROOT_OUT = Path(__file__).resolve().parent / "out"
"""Where runs keep their server logs (replaced by every invocation)."""
EXTRA_PLUGINS = 99
MANY_CARDS = 1_000_000
GROWTH = ("100-plugins", "30KB-card", "1M-cards")
HEADROOM = 1.6
"""Build this many times the requests the configuration's expected throughput needs."""
EXPECTED = {"vote": '"Vote counted"', "publish": '"Done"'}
"""Text every answer must contain: the toast of a counted vote / a done release (in its en_us i18n)."""
DRAIN_SECONDS = 0.5
"""Pause between the end of wrk and reading memory / stopping, so clicks still in flight can finish."""


@dataclass(frozen=True)
class Config:
    """One server configuration measured under one workload and callback format."""

    kind: str            # "bare", "cardbot" or "peer"
    workers: int
    workload: str = "a"
    fmt: str = "trigger"  # "legacy" (plain, sha1) or "trigger" (card.action.trigger: AES + sha256)
    growth: str = ""      # "" or one of GROWTH (cardbot, workload a, trigger, 1 worker)

    @property
    def name(self) -> str:
        if self.kind == "bare":
            return f"bare/{self.workers}w"
        return "/".join(filter(None, [self.workload, self.kind, self.fmt, f"{self.workers}w", self.growth]))

    @property
    def path(self) -> str:
        return "/lark/card" if self.kind == "peer" and self.fmt == "legacy" else "/lark/callback"


def all_configs() -> list[Config]:
    """Every configuration of a full run, in the order each round measures them: the growth runs right
    after their baseline (cardbot, workload (a), trigger, 1 worker), so that drift hits them alike."""
    configs = [Config("bare", 1), Config("bare", 2)]
    for workload in WORKLOADS:
        for config in [Config(kind, workers, workload, fmt)
                       for workers in (1, 2) for kind in ("cardbot", "peer") for fmt in ("legacy", "trigger")]:
            configs.append(config)
            if config == Config("cardbot", 1, "a", "trigger"):
                configs += [Config("cardbot", 1, "a", "trigger", growth) for growth in GROWTH]
    return configs


def quick_configs() -> list[Config]:
    """`--quick`: workload (a), trigger, 1 worker: cardbot vs bare Sanic vs peer."""
    return [Config("bare", 1), Config("cardbot", 1, "a", "trigger"), Config("peer", 1, "a", "trigger")]


@dataclass
class Run:
    """One measurement: wrk's figures, peak memory, and what the server logged that looked wrong."""

    config: Config
    round_number: int
    result: WrkResult
    peak_kb: int = 0
    processes: int = 0
    log_problems: list[str] = field(default_factory=list)  # logged while it served the run
    shutdown_problems: list[str] = field(default_factory=list)  # logged while it stopped
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return self.result.invalid is None


class Runner:
    """Runs configurations in `out_dir`, keeping per-configuration throughput estimates between rounds."""

    def __init__(self, out_dir: Path, *, duration: float, connections: int) -> None:
        self.out_dir = out_dir
        self.duration = duration
        self.connections = connections
        self.fastest: dict[Config, float] = {}  # the best throughput seen per configuration, in req/s
        self.probe_rps = 0.0
        self._many_cards_db: Path | None = None
        self._serial = 0

    def calibrate(self, probe_seconds: float = 2.0) -> float:
        """Measure bare Sanic (1 worker) briefly; the first estimate for every configuration derives from it.
        The probe may replay requests (it only sizes the request files); it is not a result."""
        directory = self._new_dir("probe")
        server = bare_server(1, directory / "server.log").start()
        try:
            write_request_files(directory / "requests", "trigger",
                                clicks(WORKLOADS["a"], 30_000, "probe"), THREADS)
            result = run_wrk(f"http://127.0.0.1:{server.port}/lark/callback", directory / "requests",
                             expected=EXPECTED["vote"], duration=probe_seconds, connections=self.connections)
        finally:
            server.stop()
            shutil.rmtree(directory / "requests", ignore_errors=True)
        self.probe_rps = result.rps
        if not self.probe_rps:
            raise SystemExit(f"error: the calibration probe of bare Sanic failed: {result.invalid}")
        return self.probe_rps

    def run(self, config: Config, round_number: int) -> list[Run]:
        """Measure `config` once; a run that ran out of requests is kept (invalid) and redone once with more."""
        runs = [self._run_once(config, round_number)]
        if runs[-1].result.wrapped:
            self.fastest[config] = runs[-1].result.rps * 1.5
            runs.append(self._run_once(config, round_number))
        return runs

    def close(self) -> None:
        """Delete the big files (the 1,000,000-card database); logs stay in `out_dir`."""
        if self._many_cards_db is not None:
            shutil.rmtree(self._many_cards_db.parent, ignore_errors=True)

    def _run_once(self, config: Config, round_number: int) -> Run:
        started = time.monotonic()
        directory = self._new_dir(f"r{round_number}-{config.name.replace('/', '-')}")
        count = self._requests_needed(config)
        server = self._prepare(config, directory, count)
        server.launch()
        try:
            workload = WORKLOADS["a" if config.kind == "bare" else config.workload]
            write_request_files(directory / "requests", config.fmt,  # while the server starts
                                clicks(workload, count, f"r{round_number}s{self._serial}_", seed=self._serial),
                                THREADS)
            try:
                server.wait_ready()
            except RuntimeError as error:
                return Run(config, round_number, WrkResult.failed(f"the server did not start: {error}"[:600]))
            result = run_wrk(f"http://127.0.0.1:{server.port}{config.path}", directory / "requests",
                             expected=EXPECTED[workload.plugin], duration=self.duration,
                             connections=self.connections)
            time.sleep(DRAIN_SECONDS)
            peak_kb, processes = server.peak_memory()
            stopping_at = server.log_size()
        finally:
            server.stop()
            for big in ("requests", "cardbot.db", "cardbot.db-wal", "cardbot.db-shm"):
                path = directory / big
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        self.fastest[config] = max(self.fastest.get(config, 0.0), result.rps)
        return Run(config, round_number, result, peak_kb, processes, server.log_problems(0, stopping_at),
                   server.log_problems(stopping_at), time.monotonic() - started)

    def _requests_needed(self, config: Config) -> int:
        """Enough requests for the fastest throughput seen so far, with headroom. Before that, a guess:
        twice the fastest of the same server with the same workers, or else from the probe (its rate per
        worker; 0.6 of it for a server doing real work)."""
        siblings = [rps for seen, rps in self.fastest.items()
                    if seen.kind == config.kind and seen.workers == config.workers]
        expected = (self.fastest.get(config) or 2 * max(siblings, default=0.0)
                    or self.probe_rps * config.workers * (1.0 if config.kind == "bare" else 0.6))
        return int(expected * self.duration * HEADROOM) + 20 * self.connections

    def _prepare(self, config: Config, directory: Path, count: int) -> Server:
        """The database, configuration and plugins the server needs; returns the (unstarted) server."""
        log = directory / "server.log"
        if config.kind == "bare":
            return bare_server(config.workers, log)
        workload = WORKLOADS[config.workload]
        database = directory / "cardbot.db"
        if config.growth == "1M-cards":
            database = self._many_cards_database()
        else:
            card_bytes = LARGE_CARD if config.growth == "30KB-card" else SMALL_CARD
            fill_database(database, start_cards(workload, count, card_bytes))
        if config.kind == "peer":
            return peer_server(database, config.workers, log)
        plugins = ["vote"] + (["publish"] if workload.plugin == "publish" else [])
        toml = f'[bot]\ndatabase = "{database}"\n' + "".join(
            f"\n[plugins.{name}]\nenabled = true\n" for name in plugins)
        extra_path: list[Path] = []
        if config.growth == "100-plugins":
            extra_path.append(directory / "extra_plugins")
            toml += write_extra_plugins(extra_path[0], EXTRA_PLUGINS)
        (directory / "plugins.toml").write_text(toml, encoding="utf-8")
        return cardbot_server(directory / "plugins.toml", config.workers, log, extra_path)

    def _many_cards_database(self) -> Path:
        """1,000 poll cards and 999,000 filler cards, filled once and reused by every round."""
        if self._many_cards_db is None:
            path = self._new_dir("many-cards") / "cardbot.db"
            print(f"filling a database with {MANY_CARDS:,} cards (once)…", file=sys.stderr, flush=True)
            fill_database(path, itertools.chain(start_cards(WORKLOADS["a"], 0), filler_cards(MANY_CARDS - POLL_CARDS)))
            self._many_cards_db = path
        return self._many_cards_db

    def _new_dir(self, name: str) -> Path:
        self._serial += 1
        directory = self.out_dir / f"{self._serial:03d}-{name}"
        directory.mkdir(parents=True)
        return directory


def write_extra_plugins(directory: Path, count: int) -> str:
    """`count` trivial plugin modules in `directory`, each claiming its own button_type; returns their
    plugins.toml tables."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = []
    for n in range(1, count + 1):
        module = f"bench_extra_{n:03d}"
        (directory / f"{module}.py").write_text(
            "from cardbot import Patch, hookimpl\n\n\n"
            f"@hookimpl\ndef cardbot_claims():\n    return [\"{module}\"]\n\n\n"
            f"@hookimpl\ndef cardbot_action(action, card, config):\n    return Patch.toast(\"info\", \"{module}\")\n",
            encoding="utf-8")
        tables.append(f'\n[plugins.extra_{n:03d}]\nenabled = true\nmodule = "{module}"\n')
    return "".join(tables)
