"""Turning a round's raw results into the figures a report shows (plain JSON values)."""

from __future__ import annotations

import dataclasses
from typing import Any

from loadtest.histogram import Histogram, merge_all, merge_series
from loadtest.ledger import Accounting
from loadtest.plans import RoundResult
from loadtest.rounds import RoundOutcome
from loadtest.serverstats import ServerSample

CDF_POINTS = 300


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def latency(hist: Histogram) -> dict[str, Any]:
    return {k: (v if k == "count" else _round(v)) for k, v in hist.summary().items()}


def series(per_second: dict[int, Histogram]) -> list[dict[str, Any]]:
    """Latency percentiles second by second (by the second a message was sent in)."""
    return [{"second": s, **latency(h)} for s, h in sorted(per_second.items()) if s >= 0]


def cdf(hist: Histogram) -> list[list[float]]:
    points = hist.cdf()
    step = max(1, len(points) // CDF_POINTS)
    kept = points[::step]
    if points and kept[-1] != points[-1]:
        kept.append(points[-1])
    return [[round(ms, 4), round(frac, 6)] for ms, frac in kept]


def accounting(acc: Accounting) -> dict[str, Any]:
    return {**dataclasses.asdict(acc), "clean": acc.clean}


def loadgen(results: list[RoundResult]) -> dict[str, Any]:
    """How hard the load processes worked: near 100% CPU means they, not the server, set the pace."""
    cpu = [100 * r.cpu_seconds / r.wall_seconds if r.wall_seconds else 0.0 for r in results]
    lag = merge_all([r.send_lag for r in results])
    return {"processes": len(results), "cpuPercent": [round(c, 1) for c in cpu],
            "maxCpuPercent": round(max(cpu, default=0.0), 1),
            "sendLagMs": latency(lag) if lag.total else None,
            "saturated": max(cpu, default=0.0) > 90}


def server(before: ServerSample, after: ServerSample, deliveries: int) -> dict[str, Any] | None:
    if after.cpu_seconds is None or before.cpu_seconds is None:
        return None
    cpu = after.cpu_seconds - before.cpu_seconds
    own = (after.process_cpu_seconds - before.process_cpu_seconds
           if after.process_cpu_seconds is not None and before.process_cpu_seconds is not None else None)
    return {"cpuSeconds": round(cpu, 3), "rssKiB": after.rss_kib,
            "deliveriesPerCpuSecond": round(deliveries / cpu) if cpu > 0 else None,
            # the server process alone, its database left out (the same as above for a server without one)
            "processCpuSeconds": round(own, 3) if own is not None else None,
            "deliveriesPerProcessCpuSecond": round(deliveries / own) if own else None}


def connect_stats(stats: list[Any]) -> dict[str, Any]:
    """Connection counts and handshake latency (ConnectStats) from every load process."""
    errors: dict[str, int] = {}
    for s in stats:
        for reason, n in s.errors.items():
            errors[reason] = errors.get(reason, 0) + n
    return {"connected": sum(s.connected for s in stats), "failed": sum(s.failed for s in stats),
            "retried": sum(s.retried for s in stats), "errors": errors, "latencyMs": latency(merge_all([s.latency for s in stats]))}


def delivery(outcome: RoundOutcome, acc: Accounting) -> dict[str, Any]:
    """What a fan-out or DM round measured: rates, latencies, accounting, costs."""
    results = outcome.results
    per_second = merge_series([r.receipts.per_second for r in results])
    overall = merge_all(list(per_second.values()))
    last = max((r.receipts.last_at for r in results), default=0.0)
    window = max(outcome.duration, last - outcome.start_at)  # a backlog stretches the window
    return {
        "sentPerSecond": round(acc.sent / outcome.duration, 1),
        "deliveredPerSecond": round(acc.delivered / window, 1),
        "deliveryWindowSeconds": round(window, 2),
        "latencyMs": latency(overall),
        "ackLatencyMs": latency(merge_all([r.sends.ack_latency for r in results])),
        "accounting": accounting(acc),
        "socketsDropped": sum(r.extra.get("dropped", 0) for r in results),
        "server": server(outcome.server_before, outcome.server_after, acc.delivered),
        "loadgen": loadgen(results),
        "latencyBySecond": series(per_second),
        "latencyCdf": cdf(overall),
    }


def round_trips(outcome: RoundOutcome) -> dict[str, Any]:
    """Round trips (dm: a ping until its answer; burst: a burst until all of it is in): how many
    per second, how many timed out, how long they took."""
    by_second = merge_series([r.rtt for r in outcome.results])
    hist = merge_all(list(by_second.values()))
    return {"perSecond": round(hist.total / outcome.duration, 1),
            "timeouts": sum(r.extra.get("rttTimeouts", 0) for r in outcome.results),
            "latencyMs": latency(hist), "latencyBySecond": series(by_second), "latencyCdf": cdf(hist)}
