"""What `GET /metrics` counts (Prometheus text format), and the tiny functions the serving code calls.

- `cardbot_clicks_total{plugin, outcome}`: clicks done; `plugin` is `(none)` when no plugin owns the
  button, `outcome` one of clicks.pipeline.OUTCOMES;
- `cardbot_click_seconds{plugin}` (histogram): from a click's arrival until it was done;
- `cardbot_deadline_misses_total{plugin}`: clicks answered "processing" at `[bot] deadline`;
- `cardbot_pushes_total{method, outcome}`: a late click's card pushed to Lark; `method` `delayed_update`,
  `patch` or `none`, `outcome` `accepted`, `refused` or `skipped` (older than 14 days);
- `cardbot_events_total{type, plugin, outcome}`: chat messages and events; `outcome` `done`, `declined`,
  `failed`, `timed_out`, `unclaimed` or `repeat`;
- `cardbot_timers_total{plugin, outcome}`: timers run; `outcome` `done`, `declined`, `failed`, `timed_out`,
  `no_card` or `repeat`;
- `cardbot_outbox_sends_total{kind, outcome}`: outbox rows tried; `kind` `send`, `reply` or `update`,
  `outcome` `sent`, `retry` or `failed`.

Several worker processes add up through prometheus_client's multiprocess mode: `serve` gives them a fresh
`PROMETHEUS_MULTIPROC_DIR`, and each process writes its values there (`registry()` sums them). Without that
variable (one worker, the CLI, in-process tests) the values live in this process alone and nothing is written.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""The variable naming the folder where every worker process writes its values."""
CLICK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds: fine below Lark's 3 s, coarse up to the default hard limit."""

CLICKS = Counter("cardbot_clicks_total", "Clicks handled, by owning plugin and outcome", ["plugin", "outcome"])
CLICK_SECONDS = Histogram("cardbot_click_seconds", "Seconds from a click's arrival until it was done", ["plugin"],
                          buckets=CLICK_BUCKETS)
DEADLINE_MISSES = Counter("cardbot_deadline_misses_total", 'Clicks answered "processing" at the deadline',
                          ["plugin"])
PUSHES = Counter("cardbot_pushes_total", "Late clicks' cards pushed to Lark", ["method", "outcome"])
EVENTS = Counter("cardbot_events_total", "Chat messages and events handled", ["type", "plugin", "outcome"])
TIMERS = Counter("cardbot_timers_total", "Timers run", ["plugin", "outcome"])
OUTBOX_SENDS = Counter("cardbot_outbox_sends_total", "Outbox rows tried", ["kind", "outcome"])


def click(plugin: str, outcome: str, seconds: float) -> None:
    """A click is done."""
    CLICKS.labels(plugin, outcome).inc()
    CLICK_SECONDS.labels(plugin).observe(seconds)


def deadline_missed(plugin: str) -> None:
    """A click was answered "processing"."""
    DEADLINE_MISSES.labels(plugin).inc()


def pushed(method: str, outcome: str) -> None:
    """A late click's card was pushed (`accepted`, `refused`) or not (`skipped`)."""
    PUSHES.labels(method, outcome).inc()


def event(event_type: str, plugin: str, outcome: str) -> None:
    """A chat message or event was handled (or found unclaimed, or a repeat)."""
    EVENTS.labels(event_type, plugin, outcome).inc()


def timer(plugin: str, outcome: str) -> None:
    """A due timer ran (or was found recorded already)."""
    TIMERS.labels(plugin, outcome).inc()


def outbox_send(kind: str, outcome: str) -> None:
    """An outbox row was sent, is to be tried again, or failed for good."""
    OUTBOX_SENDS.labels(kind, outcome).inc()


def worker_died(pid: int) -> None:
    """Bookkeeping for a worker process that died (multiprocess mode): what only a live process reports goes;
    its counts stay in the sums."""
    if os.environ.get(MULTIPROCESS_DIR):
        mark_process_dead(pid)


def registry() -> CollectorRegistry:
    """What to expose: every worker's values summed in multiprocess mode, else this process's."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        return REGISTRY
    summed = CollectorRegistry()
    MultiProcessCollector(summed)
    return summed
