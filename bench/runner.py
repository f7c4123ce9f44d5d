"""The configurations, and one measured run of one of them: prepare, start, build requests, wrk, stop.

    runner = Runner(out_dir, duration=10, connections=64)
    runner.calibrate()                       # a short probe of bare Sanic: how many requests to build
    run = runner.run(Config("cardbot", 1, "a", "trigger"), round_number=1)
    run = runner.run(Config("lean", 1, "a", "legacy"), round_number=1)      # the lean reference
    run = runner.run(Config("cardbot", 1, "b", "trigger", backend="pg", hosts=2), round_number=1)

A PostgreSQL configuration gets a database of its own for each run (created, filled, dropped after it);
its hosts are separate `bot.py serve` processes on their own ports, each driven by its own wrk.
After every run of a server that stores clicks, the card versions it stored are compared with the answers wrk
counted (bench/work_done.py): below 99 % the run is invalid.
"""

from __future__ import annotations

import itertools
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import postgres
from .requests_file import write_request_files
from .servers import Server, bare_server, cardbot_server, lean_server, peer_server
from .workloads import (LARGE_CARD, POLL_CARDS, SMALL_CARD, WORKLOADS, clicks, fill_database, filler_cards,
                        start_cards)
from .work_done import check_work_done, stored_versions
from .wrk import THREADS, Load, WrkResult, run_wrk

ROOT_OUT = Path(__file__).resolve().parent / "out"
"""Where runs keep their server logs (replaced by every invocation)."""
EXTRA_PLUGINS = 99
MANY_CARDS = 1_000_000
GROWTH = ("100-plugins", "30KB-card", "1M-cards")
HEADROOM = 1.6
"""Build this many times the requests the configuration's expected throughput needs."""
EXPECTED = {"vote": '"Vote counted"', "publish": '"Done"'}
"""Text every answer must contain: the toast of a counted vote / a done release (in its en_us i18n)."""
WORK = {"vote": "votes", "publish": "releases"}
"""What a workload's counted answers are, in the run's invalid reason."""
DRAIN_SECONDS = 0.5
"""Pause between the end of wrk and reading memory / stopping, so clicks still in flight can finish."""


@dataclass(frozen=True)
class Config:
    """One server configuration measured under one workload and callback format."""

    kind: str            # "bare", "lean" (the lean reference: 1 worker, workloads a and b), "cardbot" or "peer"
    workers: int          # per host
    workload: str = "a"
    fmt: str = "trigger"  # "legacy" (plain, sha1) or "trigger" (card.action.trigger: AES + sha256)
    growth: str = ""      # "" or one of GROWTH (cardbot, workload a, trigger, 1 worker)
    backend: str = "sqlite"  # cardbot's store: "sqlite" (a file) or "pg" (one PostgreSQL database for all hosts)
    hosts: int = 1        # serving processes of `workers` workers each, on their own ports (pg only)

    @property
    def name(self) -> str:
        if self.kind == "bare":
            return f"bare/{self.workers}w"
        if self.backend == "pg":  # each host has `workers` workers (1 in every configuration here)
            return "/".join(["pg", self.workload, self.kind, self.fmt, f"{self.hosts}host" + "s" * (self.hosts > 1)])
        return "/".join(filter(None, [self.workload, self.kind, self.fmt, f"{self.workers}w", self.growth]))

    @property
    def processes(self) -> int:
        """Serving worker processes over all hosts: what bare Sanic and the peer are compared at."""
        return self.workers * self.hosts

    @property
    def path(self) -> str:
        return "/lark/card" if self.kind == "peer" and self.fmt == "legacy" else "/lark/callback"


PG_WORKLOADS = ("a", "b")
"""Many cards and one hot card: the workloads PostgreSQL is measured on, at 1 and 2 hosts."""


LEAN_WORKLOADS = ("a", "b")
"""The vote workloads the lean reference is measured on (1 worker, both formats)."""


def all_configs() -> list[Config]:
    """Every configuration of a full run, in the order each round measures them: the lean reference right
    before cardbot at 1 worker, the growth runs right after their baseline (cardbot, workload (a), trigger,
    1 worker), and PostgreSQL at 1 and 2 hosts right after SQLite at 2 workers of the same workload, so that
    drift hits them alike."""
    configs = [Config("bare", 1), Config("bare", 2)]
    for workload in WORKLOADS:
        kinds = {1: ("lean", "cardbot", "peer") if workload in LEAN_WORKLOADS else ("cardbot", "peer"),
                 2: ("cardbot", "peer")}
        for config in [Config(kind, workers, workload, fmt)
                       for workers in (1, 2) for kind in kinds[workers] for fmt in ("legacy", "trigger")]:
            configs.append(config)
            if config == Config("cardbot", 1, "a", "trigger"):
                configs += [Config("cardbot", 1, "a", "trigger", growth) for growth in GROWTH]
            if config == Config("cardbot", 2, workload, "trigger") and workload in PG_WORKLOADS:
                configs += [Config("cardbot", 1, workload, "trigger", backend="pg", hosts=hosts) for hosts in (1, 2)]
    return configs


def quick_configs() -> list[Config]:
    """`--quick`: workload (a), 1 worker: bare Sanic, then for each format the lean reference, cardbot and
    the peer, one right after the other."""
    return [Config("bare", 1)] + [Config(kind, 1, "a", fmt) for fmt in ("trigger", "legacy")
                                  for kind in ("lean", "cardbot", "peer")]


@dataclass
class Run:
    """One measurement: wrk's figures, peak memory, CPU used, and what the server logged that looked wrong."""

    config: Config
    round_number: int
    result: WrkResult
    peak_kb: int = 0
    processes: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds while wrk sent: "bot", "wrk", "db" (pg)
    cpu_window: float = 0.0  # wall seconds over which `cpu` was counted: wrk sending, then the drain
    commits: int | None = None  # transactions committed in the run's database (pg), from wrk's start to the stop
    stored: int | None = None  # card versions the run stored (not bare), checked against wrk's counted answers
    log_problems: list[str] = field(default_factory=list)  # logged while it served the run
    shutdown_problems: list[str] = field(default_factory=list)  # logged while it stopped
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return self.result.invalid is None


class Runner:
    """Runs configurations in `out_dir`, keeping per-configuration throughput estimates between rounds."""

    def __init__(self, out_dir: Path, *, duration: float, connections: int,
                 postgres_url: str = postgres.ADMIN_URL) -> None:
        self.out_dir = out_dir
        self.duration = duration
        self.connections = connections
        self.postgres_url = postgres_url  # where PostgreSQL configurations create their databases
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
        database = f"bench_{self._serial:03d}" if config.backend == "pg" else None
        try:
            servers, store = self._prepare(config, directory, count, database)
            before = 0 if store is None else stored_versions(store)
            for server in servers:
                server.launch()
            try:
                run, stopping_at = self._measure(config, round_number, directory, count, servers, database)
            finally:
                for server in servers:
                    server.stop()
                try:  # every server stopped: all it committed is in the database
                    stored = None if store is None else stored_versions(store) - before
                finally:
                    for big in ("requests", "cardbot.db", "cardbot.db-wal", "cardbot.db-shm"):
                        path = directory / big
                        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            if stored is not None:
                run.stored = stored
                run.result = check_work_done(run.result, stored, WORK[WORKLOADS[config.workload].plugin])
            if run.commits is not None and database is not None:  # stopped, every backend has reported its own
                run.commits = postgres.commits_of(self.postgres_url, database) - run.commits
        finally:
            if database is not None:
                postgres.drop_database(self.postgres_url, database)
        run.shutdown_problems = [line for server, end in zip(servers, stopping_at) for line in server.log_problems(end)]
        run.seconds = time.monotonic() - started
        self.fastest[config] = max(self.fastest.get(config, 0.0), run.result.rps)
        return run

    def _measure(self, config: Config, round_number: int, directory: Path, count: int, servers: list[Server],
                 database: str | None) -> tuple[Run, list[int]]:
        """Build the requests (while the servers start), run wrk (one per server), read memory and CPU;
        returns the run and each server's log size when it was measured."""
        workload = WORKLOADS["a" if config.kind == "bare" else config.workload]
        write_request_files(directory / "requests", config.fmt,
                            clicks(workload, count, f"r{round_number}s{self._serial}_", seed=self._serial), THREADS)
        try:
            for server in servers:
                server.wait_ready()
        except RuntimeError as error:
            failed = WrkResult.failed(f"the server did not start: {error}"[:600])
            return Run(config, round_number, failed), [server.log_size() for server in servers]
        commits = postgres.commits_of(self.postgres_url, database) if database is not None else None
        load = Load([f"http://127.0.0.1:{server.port}{config.path}" for server in servers], directory / "requests",
                    expected=EXPECTED[workload.plugin], duration=self.duration, connections=self.connections)
        load.wait_sending()
        before, window = self._cpu(servers, database), time.monotonic()
        wrk_before = load.cpu_seconds()
        result, wrk_cpu = load.finish()
        time.sleep(DRAIN_SECONDS)
        cpu = {what: seconds - before[what] for what, seconds in self._cpu(servers, database).items()}
        cpu["wrk"] = wrk_cpu - wrk_before
        window = time.monotonic() - window
        memory = [server.peak_memory() for server in servers]
        ends = [server.log_size() for server in servers]
        problems = [line for server, end in zip(servers, ends) for line in server.log_problems(0, end)]
        return Run(config, round_number, result, peak_kb=max(peak for peak, _ in memory),
                   processes=sum(n for _, n in memory), cpu=cpu, cpu_window=window, commits=commits,
                   log_problems=problems), ends

    @staticmethod
    def _cpu(servers: list[Server], database: str | None) -> dict[str, float]:
        """CPU seconds used so far by the servers and by the PostgreSQL server for `database`."""
        cpu = {"bot": sum(server.cpu_seconds() for server in servers)}
        if database is not None:
            cpu["db"] = postgres.server_cpu_seconds(database)
        return cpu

    def _requests_needed(self, config: Config) -> int:
        """Enough requests for the fastest throughput seen so far, with headroom. Before that, a guess:
        twice the fastest of the same server with the same store and workers, or else from the probe (its
        rate per worker; 0.6 of it for a server doing real work)."""
        siblings = [rps for seen, rps in self.fastest.items() if (seen.kind, seen.backend, seen.processes)
                    == (config.kind, config.backend, config.processes)]
        expected = (self.fastest.get(config) or 2 * max(siblings, default=0.0)
                    or self.probe_rps * config.processes * (1.0 if config.kind == "bare" else 0.6))
        return int(expected * self.duration * HEADROOM) + 20 * self.connections

    def _prepare(self, config: Config, directory: Path, count: int, pg_database: str | None
                 ) -> tuple[list[Server], Path | str | None]:
        """The database, configuration and plugins the servers need (`pg_database`: the PostgreSQL database
        to create and fill); returns the (unstarted) servers, one per host, and the database they store in
        (None for bare Sanic)."""
        if config.kind == "bare":
            return [bare_server(config.workers, directory / "server.log")], None
        workload = WORKLOADS[config.workload]
        database: Path | str = directory / "cardbot.db"
        if pg_database is not None:
            database = postgres.create_database(self.postgres_url, pg_database)
        if config.growth == "1M-cards":
            database = self._many_cards_database()
        else:
            card_bytes = LARGE_CARD if config.growth == "30KB-card" else SMALL_CARD
            fill_database(database, start_cards(workload, count, card_bytes))
        if config.kind == "peer":
            return [peer_server(Path(database), config.workers, directory / "server.log")], database
        if config.kind == "lean":
            return [lean_server(Path(database), directory / "server.log")], database
        plugins = ["vote"] + (["publish"] if workload.plugin == "publish" else [])
        toml = f'[bot]\ndatabase = "{database}"\n' + "".join(
            f"\n[plugins.{name}]\nenabled = true\n" for name in plugins)
        extra_path: list[Path] = []
        if config.growth == "100-plugins":
            extra_path.append(directory / "extra_plugins")
            toml += write_extra_plugins(extra_path[0], EXTRA_PLUGINS)
        (directory / "plugins.toml").write_text(toml, encoding="utf-8")
        logs = [directory / "server.log"] if config.hosts == 1 else [
            directory / f"host{n}.log" for n in range(1, config.hosts + 1)]
        return [cardbot_server(directory / "plugins.toml", config.workers, log, extra_path) for log in logs], database

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
