"""Driving one measured round across the load processes, and deciding when it is over.

A round is over when every process has sent its share and either every expected
delivery has arrived or the drain time has passed since sending stopped: a delivery that
has not arrived by then is counted lost.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from loadtest.coordinator import Workers
from loadtest.plans import Round, RoundResult
from loadtest.progress import ProgressBar
from loadtest.serverstats import ServerProbe, ServerSample


@dataclass
class RoundOutcome:
    results: list[RoundResult]
    server_before: ServerSample
    server_after: ServerSample
    start_at: float
    duration: float


async def drive(workers: Workers, rounds: list[Round], member_counts: Mapping[Hashable, int], *,
                drain: float, bar: ProgressBar, probe: ServerProbe) -> RoundOutcome:
    start_at, duration = rounds[0].start_at, rounds[0].duration
    workers.send_all("run", rounds)
    latest: dict[int, dict[str, Any]] = {}
    before: ServerSample | None = None
    sending_done_at: float | None = None
    while True:
        message = await workers.next(0.25)
        if message is not None and message[1] == "progress":
            latest[message[0]] = message[2]
        now = time.monotonic()
        if before is None and now >= start_at:
            before = probe.sample()
        live: Counter[Hashable] = Counter()
        for counts in latest.values():
            live.update(counts["live"])
        expected = sum(n * member_counts.get(stream, 0) for stream, n in live.items())
        delivered = sum(c["distinct"] for c in latest.values())
        sent = sum(c["sent"] for c in latest.values())
        elapsed = max(0.0, now - start_at)
        bar.update(elapsed / duration, f"{elapsed:5.1f}/{duration:.0f}s  sent {sent}  "
                                       f"delivered {delivered}/{expected}")
        if len(latest) < workers.count or not all(c["sendingDone"] for c in latest.values()):
            continue
        sending_done_at = sending_done_at or now
        if delivered >= expected or now >= max(sending_done_at, start_at + duration) + drain:
            break
    workers.send_all("finish")
    results = await workers.gather("result", timeout=300)
    after = probe.sample()
    bar.done(f"sent {sum(r.sends.count for r in results)}  "
             f"delivered {sum(r.receipts.distinct for r in results)}")
    return RoundOutcome(results, before or after, after, start_at, duration)
