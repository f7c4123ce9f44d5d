"""Medians, ratios and the Markdown report (docs/performance.md); the `--quick` block."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .micro import TARGET_MS, MicroResult
from .runner import GROWTH, LEAN_WORKLOADS, PG_WORKLOADS, Config, Run
from .servers import PEER_THREADS
from .workloads import WORKLOADS
from .work_done import STORED_SHARE
from .wrk import THREADS, TIMEOUT, wrk_version

LEAN_TARGET = 0.85
PEER_TARGET = 3.0
P99_TARGET_MS = 30.0
"""Issue 15's targets for cardbot, workload (a), trigger, 1 worker."""
GROWTH_TITLES = {"": "1 plugin, 1 KB card, 1,000 cards (baseline)", "100-plugins": "100 plugins",
                 "30KB-card": "30 KB card", "1M-cards": "1,000,000 stored cards"}


@dataclass(frozen=True)
class Row:
    """A configuration's medians over its valid runs, and its ratios (medians of per-round ratios)."""

    config: Config
    runs: list[Run]
    rps: float | None
    p50_ms: float | None
    p99_ms: float | None
    peak_mb: float | None
    processes: int
    vs_bare: float | None
    vs_peer: float | None
    vs_lean: float | None  # cardbot at 1 worker on LEAN_WORKLOADS: throughput relative to the lean reference
    vs_base: float | None  # growth rows: throughput relative to the growth baseline
    vs_sqlite: float | None  # cardbot rows of PG_WORKLOADS: throughput relative to SQLite at 1 worker
    cpu_per_k: dict[str, float]  # CPU seconds per 1,000 answered requests: "bot", "wrk", "db" (pg)
    cores: float | None  # CPU of bot, database and wrk together over the measured window, in cores
    commits_per_click: float | None  # pg: transactions committed in the database per answered request
    spread: dict[str, tuple[float, float]] = field(default_factory=dict)
    """(min, max) of "rps" and "p99_ms" over the valid runs, and of each ratio ("vs_bare", …) over its rounds."""

    @property
    def valid_runs(self) -> int:
        return sum(run.valid for run in self.runs)


def final_runs(runs: list[Run]) -> dict[tuple[str, int], Run]:
    """The run that counts for each (configuration, round): a redone run replaces its invalid try."""
    return {(run.config.name, run.round_number): run for run in runs}


def summarize(runs: list[Run]) -> dict[str, Row]:
    """One Row per configuration measured, in the order they were first measured."""
    final = final_runs(runs)
    by_name: dict[str, list[Run]] = {}
    for run in runs:
        by_name.setdefault(run.config.name, []).append(run)

    def per_round_ratios(config: Config, other: str) -> list[float]:
        ratios = []
        for (name, round_number), run in final.items():
            base = final.get((other, round_number))
            if name == config.name and run.valid and base is not None and base.valid and base.result.rps:
                ratios.append(run.result.rps / base.result.rps)
        return ratios

    rows = {}
    for name, config_runs in by_name.items():
        config = config_runs[0].config
        valid = [run for run in config_runs if run.valid]
        compared = config.kind in ("cardbot", "lean") and not config.growth
        ratios = {
            "vs_bare": per_round_ratios(config, f"bare/{config.processes}w"),
            "vs_peer": per_round_ratios(config, f"{config.workload}/peer/{config.fmt}/{config.processes}w")
            if compared else [],
            "vs_lean": per_round_ratios(config, f"{config.workload}/lean/{config.fmt}/1w")
            if _against_lean(config) else [],
            "vs_base": per_round_ratios(config, "a/cardbot/trigger/1w") if config.growth else [],
            "vs_sqlite": per_round_ratios(config, f"{config.workload}/cardbot/{config.fmt}/1w")
            if _in_pg_table(config) else [],
        }
        measured = {"rps": [run.result.rps for run in valid], "p99_ms": [run.result.p99_ms for run in valid]}
        counted = [run for run in valid if run.result.requests and run.cpu]
        rows[name] = Row(
            config=config, runs=config_runs,
            rps=_median(measured["rps"]),
            p50_ms=_median(run.result.p50_ms for run in valid),
            p99_ms=_median(measured["p99_ms"]),
            peak_mb=_median(run.peak_kb / 1024 for run in valid),
            processes=max((run.processes for run in valid), default=0),
            vs_bare=_median(ratios["vs_bare"]), vs_peer=_median(ratios["vs_peer"]),
            vs_lean=_median(ratios["vs_lean"]), vs_base=_median(ratios["vs_base"]),
            vs_sqlite=_median(ratios["vs_sqlite"]),
            cpu_per_k={what: statistics.median(run.cpu[what] / run.result.requests * 1000 for run in counted)
                       for what in (counted[0].cpu if counted else {})},
            cores=_median(sum(run.cpu.values()) / run.cpu_window for run in counted if run.cpu_window),
            commits_per_click=_median(run.commits / run.result.requests for run in counted
                                      if run.commits is not None),
            spread={what: (min(values), max(values)) for what, values in {**measured, **ratios}.items() if values},
        )
    return rows


def _against_lean(config: Config) -> bool:
    """cardbot where the lean reference runs next to it: 1 worker, SQLite, LEAN_WORKLOADS, no growth."""
    return (config.kind == "cardbot" and config.workers == 1 and config.backend == "sqlite" and not config.growth
            and config.workload in LEAN_WORKLOADS)


HEADLINE = "a/cardbot/trigger/1w"


def quick_line(rows: dict[str, Row]) -> str:
    """`ratio_vs_lean=X.XX ratio_vs_peer=X.XX ratio_vs_bare=X.XX p99_ms=Y.Y` for cardbot, workload (a),
    trigger, 1 worker (nan for what was not measured validly)."""
    row = rows.get(HEADLINE)

    def value(name: str) -> float:
        found = getattr(row, name) if row else None
        return float("nan") if found is None else found

    return (f"ratio_vs_lean={value('vs_lean'):.2f} ratio_vs_peer={value('vs_peer'):.2f} "
            f"ratio_vs_bare={value('vs_bare'):.2f} p99_ms={value('p99_ms'):.1f}")


QUICK_FIELDS = {"rps": "{:.0f}", "p99_ms": "{:.1f}", "vs_lean": "{:.2f}", "vs_peer": "{:.2f}", "vs_bare": "{:.2f}"}
"""The figures of a `--quick` line, in order, with their format; each is followed by its (min..max)."""


def quick_block(rows: dict[str, Row], *, rounds: int, duration: float, connections: int) -> str:
    """`--quick`'s output: a title line, one line per configuration (`name key=median (min..max) … valid=n/m`),
    a line per invalid run, then `quick_line`."""
    lines = [f"bench --quick: workload (a), 1 worker, {connections} connections, {rounds} round(s) of "
             f"{duration:g} s; median (min..max) over the valid runs, ratios over the rounds"]
    width = max((len(name) for name in rows), default=0)
    for name, row in rows.items():
        fields = []
        for what, shown in QUICK_FIELDS.items():
            median = getattr(row, what)
            if row.config.kind == "bare" and what.startswith("vs_"):
                continue
            if what in row.spread and median is not None:
                low, high = row.spread[what]
                fields.append(f"{what}={shown.format(median)} ({shown.format(low)}..{shown.format(high)})")
            elif what == "rps":
                fields.append("rps=nan")
        lines.append(f"{name:<{width}}  {' '.join(fields)} valid={row.valid_runs}/{len(row.runs)}")
    for row in rows.values():
        lines += [f"invalid: round {run.round_number} {row.config.name}: {run.result.invalid}"
                  for run in row.runs if not run.valid]
    lines.append(quick_line(rows))
    return "\n".join(lines)


ANALYSIS = Path(__file__).with_name("analysis.md")


def render(rows: dict[str, Row], *, command: str, rounds: int, duration: float, connections: int,
           micro: MicroResult | None, started: datetime.datetime, pg_settings: dict[str, str] | None = None) -> str:
    """The whole report (`pg_settings`: the PostgreSQL server's, when pg/* configurations ran)."""
    parts = [
        "# Performance\n",
        f"Written by `{command}` on {started:%Y-%m-%d %H:%M} UTC; regenerate it with `python -m bench` from the "
        "project root (25 to 30 minutes; `python -m bench --quick` prints medians of 5 short rounds of bare Sanic, "
        "the lean reference, cardbot and the peer in about 3 to 4 minutes).\n",
        _machine(),
        _method(rounds, duration, connections),
        _targets(rows, micro, connections),
        _analysis(),
    ]
    for workload in WORKLOADS.values():
        parts.append(_workload_table(workload.name, workload.title, rows))
    parts.append(_growth_table(rows))
    parts.append(_postgres_tables(rows, pg_settings, connections))
    parts.append(_notes(rows))
    return "\n".join(part for part in parts if part)


def _analysis() -> str:
    """The hand-written reading of the results (bench/analysis.md), kept when the report is regenerated."""
    return ANALYSIS.read_text(encoding="utf-8") if ANALYSIS.exists() else ""


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or "unknown")
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    versions = ", ".join(f"{name} {_version(name)}" for name in ("sanic", "lark-oapi", "flask", "gunicorn"))
    return (
        "## Machine\n\n"
        f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other work: figures are noisy, read the ratios)\n"
        f"- RAM: {mem_kb / 1024 / 1024:.1f} GiB; kernel {platform.release()}; Python {platform.python_version()}\n"
        f"- {versions}; {wrk_version()}\n"
    )


def _method(rounds: int, duration: float, connections: int) -> str:
    return f"""## Method

- **Interleaved rounds.** {rounds} round(s); each round measures every configuration once, one after the other
  (start the server, build its requests, run wrk for {duration:g} s, read its memory, stop it). Slow drifts of
  the shared machine hit every configuration alike. Figures are **medians over the valid rounds**; ratios are
  medians of the per-round ratios (a configuration against its baseline measured minutes apart in the same
  round), which is why the ratios, not the absolute figures, are the result.
- **Load generator.** `wrk -t {THREADS} -c {connections} -d {duration:g}s --latency --timeout {TIMEOUT}` with
  `bench/replay.lua`, which replays pre-built requests: every request is a real Lark callback built by
  `cardbot.testing.LarkCallbacks` (legacy: plain body, sha1 signature with the verification token;
  card.action.trigger: AES-256-CBC encrypted body, sha256 signature with the encrypt key), every one distinct
  (a different person's click and a fresh delivery id, so deduplication never short-cuts the work), built just
  before each run so their timestamps are fresh. Each wrk thread formats its own file of requests in `init()`
  (no thread sends before every thread is ready) and hands each out once. **A run with any non-200 answer,
  any answer without the click's result (a "processing" or "busy" toast instead of the counted vote or the
  done release), socket error, timeout (no answer within Lark's 3 s) or replayed request is invalid**: it is
  listed under Notes and left out of the medians (a run that ran out of requests is redone once with more).
- **Only work done counts.** req/s counts only the 200 answers that hold the click's result (the "Vote
  counted" or done toast; `counted` in replay.lua's BENCH line), per second of the run. After every run of a
  server that stores clicks (lean, cardbot, peer) the bench stops it and reads the card versions its database
  gained (the sum over every card of version − 1, read before the start and after the stop;
  `bench/work_done.py`): **a run that stored fewer than {STORED_SHARE:.0%} of the answers wrk counted is
  invalid** ("only N of M answered votes were stored").
- **Configurations.** *bare*: a Sanic app whose one route parses the JSON body and returns a fixed card
  (`bench/bare_sanic.py`; `serve_single` for 1 worker, `workers=2` otherwise; access log off), driven with
  the requests of workload (a), card.action.trigger. *lean*: the lean reference (`bench/lean/`, one
  Sanic worker, workloads (a) and (b)), the vote job with cardbot's guarantees and none of its framework:
  signature and timestamp window, the delivery claimed in a committed write before the vote runs (a
  redelivery waits for the first copy and answers its toast), one click per card at a time (a lock per card),
  card and vote state read from the database on every click, the stale check, the vote moved and the buttons
  relabelled, the 30 KB check, then card (compare-and-swap on its version), history row with the patch, state
  and the delivery's answer committed in the loop turn's shared transaction before answering, the 2.5 s
  deadline and one log line per click; no plugin discovery or dispatch, no generic patch language, no general
  answer rendering. It is what the work itself costs; *× lean* is cardbot's share of it. *cardbot*: the
  real server, `python bot.py serve --workers N` with the bundled vote plugin (and publish for (c)), the full
  pipeline (decrypt, verify, dedupe, route, plugin, merge, validate, store, answer). *peer*: the official SDK
  (`lark.EventDispatcherHandler` for card.action.trigger, `lark.CardActionHandler` for legacy) on Flask under
  gunicorn with N `gthread` workers of {PEER_THREADS} threads each (`bench/peer_app.py`; the peer's fastest
  setting in a tuning pass, 1 to 32 threads and sync workers tried): it loads the card from SQLite,
  applies the same vote (one per person per card, counts on the buttons) or release, stores it and answers
  the updated card. It keeps no history, delivery records or deduplication and does not validate the card
  (size, element ids), which cardbot does.
- **Durability is the same on both sides**: SQLite in WAL mode with `synchronous=NORMAL`, every click
  committed before it is answered. That survives `kill -9` of the server; a power loss can lose the last
  commits (WAL with `synchronous=FULL` would cover it, at a cost per commit).
- **Memory**: the largest VmHWM (peak resident set) over the server's processes (main process and every
  worker), read from `/proc/<pid>/status` just before the server is stopped.
- **Cards** are stored straight into the server's SQLite file before it starts (`put_card`, one transaction);
  the 1,000,000-card database is filled once (999,000 small filler cards) and reused by every round (later rounds
  find the votes, history and delivery records of the earlier ones in it).
"""


def _targets(rows: dict[str, Row], micro: MicroResult | None, connections: int) -> str:
    full = rows.get("a/cardbot/trigger/1w")
    many = rows.get("a/cardbot/trigger/1w/100-plugins")
    lines = ["## Targets (workload (a), same run, same load generator; ratios against the same worker count)\n",
             "| target | goal | measured | met |", "|---|---|---|---|"]

    def line(what: str, goal: str, value: float | None, shown: str, met: Callable[[float], bool]) -> None:
        measured = shown.format(value) if value is not None else "not measured"
        verdict = ("yes" if met(value) else "**no**") if value is not None else "–"
        lines.append(f"| {what} | {goal} | {measured} | {verdict} |")

    line("full pipeline throughput × the lean reference (trigger, 1 worker)", f"≥ {LEAN_TARGET:.2f}×",
         full.vs_lean if full else None, "{:.2f}×", lambda v: v >= LEAN_TARGET)
    line("full pipeline throughput × lark-oapi peer (trigger, 1 worker)", f"≥ {PEER_TARGET:g}×",
         full.vs_peer if full else None, "{:.2f}×", lambda v: v >= PEER_TARGET)
    line(f"p99 latency at {connections} connections (trigger, 1 worker)", f"< {P99_TARGET_MS:g} ms",
         full.p99_ms if full else None, "{:.1f} ms", lambda v: v < P99_TARGET_MS)
    line("throughput with 100 plugins vs 1 plugin", "within 10 %",
         (many.vs_base - 1) * 100 if many and many.vs_base else None, "{:+.1f} %", lambda v: abs(v) <= 10)
    line("patch applied to a 30 KB card (apply_patch + validate_card, median)", f"< {TARGET_MS:g} ms",
         micro.median_ms if micro else None, "{:.3f} ms", lambda v: v < TARGET_MS)
    if full and full.vs_bare:
        lines.append(f"\nFor scale, not a target: the full pipeline is {full.vs_bare:.1%} of bare Sanic's "
                     "throughput (trigger, 1 worker; bare Sanic parses the body and answers a fixed card).")
    if micro:
        lines.append(f"\nThe patch micro-benchmark: the vote plugin's JSON Patch (4 buttons relabelled) on a "
                     f"{micro.card_bytes:,}-byte poll card, {micro.runs:,} runs in-process: median "
                     f"{micro.median_ms:.3f} ms, p99 {micro.p99_ms:.3f} ms.")
    lines.append("\n" + _load_generator(rows))
    return "\n".join(lines) + "\n"


def _load_generator(rows: dict[str, Row]) -> str:
    bare = [row for row in rows.values() if row.config.kind == "bare" and row.rps]
    cardbot = [row for row in rows.values() if row.config.kind == "cardbot" and row.rps]
    if not bare or not cardbot:
        return "**Load generator**: not shown (needs bare Sanic and cardbot in the same run)."
    top, best = max(bare, key=lambda r: r.rps or 0), max(cardbot, key=lambda r: r.rps or 0)
    return (f"**The load generator is not the bottleneck**: the same wrk setup drove bare Sanic "
            f"(`{top.config.name}`) at {top.rps:,.0f} req/s, {top.rps / best.rps:.1f}× cardbot's best "
            f"throughput ({best.rps:,.0f} req/s, `{best.config.name}`).")


HEADER = ("| configuration | format | workers | req/s | p50 ms | p99 ms | peak MB/process (processes) "
          "| × bare | × peer | × lean | valid runs |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
KIND_ORDER = {"lean": 0, "cardbot": 1, "peer": 2}


def _workload_table(workload: str, title: str, rows: dict[str, Row]) -> str:
    chosen = [row for row in rows.values() if row.config.kind == "bare"] + sorted(
        (row for row in rows.values() if row.config.workload == workload and row.config.kind != "bare"
         and not row.config.growth and row.config.backend == "sqlite"),
        key=lambda r: (r.config.workers, KIND_ORDER[r.config.kind], r.config.fmt))
    if len(chosen) == sum(row.config.kind == "bare" for row in chosen):
        return ""
    lines = [f"## Workload {title}\n", HEADER]
    for row in chosen:
        kind = {"bare": "bare Sanic (fixed card; shared by all workloads)",
                "lean": "lean reference"}.get(row.config.kind, row.config.kind)
        fmt = "trigger" if row.config.kind == "bare" else row.config.fmt
        lines.append(f"| {kind} | {fmt} | {row.config.workers} | {_f(row.rps, '{:,.0f}')} | "
                     f"{_f(row.p50_ms, '{:.1f}')} | {_f(row.p99_ms, '{:.1f}')} | "
                     f"{_f(row.peak_mb, '{:.0f}')} ({row.processes}) | {_f(row.vs_bare, '{:.2f}')} | "
                     f"{_f(row.vs_peer, '{:.2f}')} | {_f(row.vs_lean, '{:.2f}')} | "
                     f"{row.valid_runs}/{len(row.runs)} |")
    return "\n".join(lines) + "\n"


def _growth_table(rows: dict[str, Row]) -> str:
    chosen = [rows[name] for name in ["a/cardbot/trigger/1w"] + [f"a/cardbot/trigger/1w/{g}" for g in GROWTH]
              if name in rows]
    if not any(row.config.growth for row in chosen):
        return ""
    lines = ["## Growth (cardbot, workload (a), trigger, 1 worker)\n",
             "Each growth run follows its baseline in every round. \"Throughput vs baseline\" is the median of "
             "the per-round ratios, so it can differ from the ratio of the two medians.\n",
             "| what grew | req/s | p50 ms | p99 ms | peak MB/process | throughput vs baseline | × bare "
             "| valid runs |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for row in chosen:
        change = _f((row.vs_base - 1) * 100 if row.vs_base else None, "{:+.1f} %") if row.config.growth else "–"
        lines.append(f"| {GROWTH_TITLES[row.config.growth]} | {_f(row.rps, '{:,.0f}')} | {_f(row.p50_ms, '{:.1f}')}"
                     f" | {_f(row.p99_ms, '{:.1f}')} | {_f(row.peak_mb, '{:.0f}')} | {change} | "
                     f"{_f(row.vs_bare, '{:.2f}')} | {row.valid_runs}/{len(row.runs)} |")
    return "\n".join(lines) + "\n"


def _in_pg_table(config: Config) -> bool:
    """cardbot on the workloads and format PostgreSQL is measured on (SQLite rows included, to compare)."""
    return (config.kind == "cardbot" and config.workload in PG_WORKLOADS and config.fmt == "trigger"
            and not config.growth)


def _postgres_tables(rows: dict[str, Row], settings: dict[str, str] | None, connections: int) -> str:
    """SQLite at 1 and 2 workers next to PostgreSQL at 1 and 2 hosts, one table per workload, with the CPU
    the bot, the database server and the load generator used."""
    if not any(row.config.backend == "pg" for row in rows.values()):
        return ""
    server = (f"PostgreSQL {settings['server_version']} on this machine (`synchronous_commit = "
              f"{settings['synchronous_commit']}`, `fsync = {settings['fsync']}`, `wal_sync_method = "
              f"{settings['wal_sync_method']}`, `shared_buffers = {settings['shared_buffers']}`)"
              if settings else "PostgreSQL on this machine")
    lines = [
        "## PostgreSQL and SQLite (cardbot, card.action.trigger)\n",
        f"PostgreSQL rows store in {server}, sharing the two cores with the bot and wrk; each run creates a fresh "
        "database, fills it with the workload's cards and drops it (`WITH (FORCE)`) after the run. A *host* is "
        "its own `bot.py serve --workers 1` process on its own port; two hosts share the database. wrk cannot "
        "spread over two ports, so two hosts get **one wrk each, with half the threads and connections** "
        f"({THREADS // 2} thread, {connections // 2} connections each; the same {THREADS} threads and "
        f"{connections} connections in all), whose threads start sending together (as the threads of one wrk "
        "do): req/s is their requests added up over the longer of their two durations, p50 and p99 the higher "
        "of the two. Every answer must carry the counted "
        "vote, on either host, as in every other run. SQLite rows are the same runs as in the workload "
        "tables above. SQLite commits in WAL mode with `synchronous=NORMAL` (no fsync per commit); "
        "PostgreSQL with the settings above (with `synchronous_commit = on`, a commit waits for its WAL flush).\n",
        "CPU is user + system time from `/proc/<pid>/stat`, counted from the moment wrk starts sending (its "
        "requests formatted) to the end of the drain after it, divided by the requests answered: *bot* over "
        "every process of the bot's hosts, "
        "*db* over the PostgreSQL backends connected to the run's database plus the server's shared processes "
        "(postmaster, checkpointer, background writer, WAL writer, launchers; other databases' backends are "
        "left out), *wrk* over the load generator. *Cores busy* is all three over the wall time of that "
        "window (the machine has two). *Commits/click* is `xact_commit` of the run's database from wrk's "
        "start until its hosts stopped, per answered request.\n",
    ]
    for workload in PG_WORKLOADS:
        chosen = sorted((row for row in rows.values() if _in_pg_table(row.config) and row.config.workload == workload),
                        key=lambda r: (r.config.backend != "sqlite", r.config.hosts, r.config.workers))
        if not chosen:
            continue
        lines += [f"### Workload {WORKLOADS[workload].title}\n",
                  "| store | hosts × workers | req/s | p50 ms | p99 ms | × SQLite 1 worker | CPU s per 1,000 "
                  "requests: bot | db | wrk | cores busy | commits/click | peak MB/process (processes) "
                  "| valid runs |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for row in chosen:
            cpu = [_f(row.cpu_per_k.get(what), "{:.2f}") for what in ("bot", "db", "wrk")]
            lines.append(f"| {'PostgreSQL' if row.config.backend == 'pg' else 'SQLite'} | {row.config.hosts} × "
                         f"{row.config.workers} | {_f(row.rps, '{:,.0f}')} | {_f(row.p50_ms, '{:.1f}')} | "
                         f"{_f(row.p99_ms, '{:.1f}')} | {_f(row.vs_sqlite, '{:.2f}')} | {' | '.join(cpu)} | "
                         f"{_f(row.cores, '{:.2f}')} | {_f(row.commits_per_click, '{:.2f}')} | "
                         f"{_f(row.peak_mb, '{:.0f}')} ({row.processes}) | {row.valid_runs}/{len(row.runs)} |")
        lines.append("")
    return "\n".join(lines)


def _notes(rows: dict[str, Row]) -> str:
    lines = ["## Notes\n"]
    for row in rows.values():
        for run in row.runs:
            if not run.valid:
                lines.append(f"- **invalid**: round {run.round_number}, `{row.config.name}` ({run.result.rps:,.0f} "
                             f"req/s, p99 {run.result.p99_ms:.1f} ms, not counted): {run.result.invalid}")
        for when, problems in (("while serving", [line for run in row.runs for line in run.log_problems]),
                               ("while stopping", [line for run in row.runs for line in run.shutdown_problems])):
            if problems:
                kinds = list(dict.fromkeys(_normalized(line) for line in problems))
                shown = "; ".join(f"`{kind[:160]}`" for kind in kinds[:4])
                lines.append(f"- `{row.config.name}` logged {len(problems)} warning/error line(s) {when} "
                             f"over {len(row.runs)} run(s), e.g. {shown}")
    if len(lines) == 1:
        lines.append("- Every run was valid and no server logged a warning or an error.")
    return "\n".join(lines) + "\n"


def _normalized(line: str) -> str:
    """A log line without its timestamp, process id and numbers, so repeats of one problem collapse."""
    line = re.sub(r"^(Main\s+)?\d{4}-\d\d-\d\d[ T][\d:,.]+( \+\d{4})?\s*", "", line.strip())
    return re.sub(r"\d+", "N", line)


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _f(value: float | None, fmt: str) -> str:
    return fmt.format(value) if value is not None else "–"


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
