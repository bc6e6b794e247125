"""The headline figures of each scenario's report, their medians over runs, and ratios."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figure:
    label: str
    read: Callable[[dict[str, Any]], Any]  # report results -> a number, or text
    better: str = ""  # "higher" / "lower": what the ratio means; "" for text


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(results: dict[str, Any]) -> Any:
        value: Any = results
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return read


def _faults(results: dict[str, Any]) -> str:
    acc = results.get("accounting", {})
    return f"{acc.get('lost', '?')} / {acc.get('duplicated', '?')} / {acc.get('out_of_order', '?')}"


def _latency(pct: str) -> Figure:
    return Figure(f"latency {pct}, ms", _get("latencyMs", pct), "lower")


DELIVERED = Figure("delivered msgs/s", _get("deliveredPerSecond"), "higher")
PER_CPU = Figure("deliveries per server CPU-second", _get("server", "deliveriesPerCpuSecond"), "higher")
PER_PROCESS_CPU = Figure("the same, server process only (its PostgreSQL left out)",
                         _get("server", "deliveriesPerProcessCpuSecond"), "higher")
FAULTS = Figure("lost / duplicated / out of order", _faults)
LOADGEN = Figure("load generator CPU, %", _get("loadgen", "maxCpuPercent"))

FIGURES: dict[str, list[Figure]] = {
    "fanout": [DELIVERED, _latency("p50"), _latency("p99"), _latency("max"), PER_CPU, PER_PROCESS_CPU, FAULTS,
               LOADGEN],
    "burst": [DELIVERED, Figure("bursts/s", _get("bursts", "perSecond"), "higher"),
              _latency("p50"), _latency("p90"), _latency("p99"),
              Figure("ack latency p99, ms", _get("ackLatencyMs", "p99"), "lower"), PER_CPU, PER_PROCESS_CPU, FAULTS,
              LOADGEN],
    "capacity": [
        Figure("highest delivered msgs/s that held", _get("maxDeliveredPerSecond"), "higher"),
        Figure("deliveries per server CPU-second there", _get("best", "server", "deliveriesPerCpuSecond"),
               "higher"),
        Figure("load generator CPU there, %", _get("best", "loadgen", "maxCpuPercent")),
        Figure("stopped because", _get("stoppedBecause")),
    ],
    "connect": [
        Figure("connections per second", _get("connectPerSecond"), "higher"),
        Figure("failed", _get("failed")),
        Figure("connect latency p99, ms", _get("connectLatency", "latencyMs", "p99"), "lower"),
        Figure("server memory per connection, KiB", _get("server", "kibPerConnection"), "lower"),
        Figure("server RSS with all held, MiB",
               lambda r: round(r["server"]["heldRssKiB"] / 1024, 1) if r["server"]["heldRssKiB"] else None,
               "lower"),
    ],
    "dm": [
        Figure("round trips/s", _get("roundTrip", "perSecond"), "higher"),
        Figure("round trip p50, ms", _get("roundTrip", "latencyMs", "p50"), "lower"),
        Figure("round trip p99, ms", _get("roundTrip", "latencyMs", "p99"), "lower"),
        Figure("one way p99, ms", _get("latencyMs", "p99"), "lower"),
        FAULTS,
        PER_CPU,
        PER_PROCESS_CPU,
    ],
}


def combine(values: list[Any]) -> Any:
    """The median of numbers; the distinct texts, joined."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(values):
        return statistics.median(numbers)
    texts = list(dict.fromkeys(str(v) for v in values if v is not None))
    return "; ".join(texts) if texts else None


def ratio(ours: Any, other: Any) -> str:
    if not all(isinstance(v, int | float) and v > 0 for v in (ours, other)):
        return ""  # a ratio of a missing, zero or negative figure (memory noise) means nothing
    return f"{ours / other:.2f}x"


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
