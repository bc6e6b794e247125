"""burst: N clients in R channels; S of them send B messages each at once, and each channel's
next burst starts as soon as the last one is complete (every send acked, every message at
every member) or `drain` seconds have passed: closed loop, for D seconds. Every delivery is
accounted for as in fanout; the pace is the server's (and the load generator's).

One channel of 32 all sending 16 at once is the burst case; channels of 100 with one sender
each and bursts of 1 (each message sent once the last one reached everyone) the rooms case.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from loadtest import report
from loadtest.options import RunOptions
from loadtest.scenarios import fanout


@dataclass
class BurstOptions:
    clients: int = 32
    channels: int = 1
    senders: int = 0  # 0: every client; seat i is in channel i mod R, so S = R is one per channel
    burst: int = 16  # messages each sender sends at once
    duration: float = 10.0
    size: int = 0
    drain: float = 5.0  # a burst not complete by then is given up (its missing deliveries lost)

    def traffic(self) -> fanout.FanoutOptions:
        if self.burst < 1:
            raise ValueError("need burst >= 1")
        return fanout.FanoutOptions(self.clients, self.channels, self.senders or self.clients, 0.0,
                                    self.duration, self.size, self.drain)


def summary(results: dict[str, Any]) -> list[list[str]]:
    bursts = results["bursts"]
    return [
        ["bursts", f"{bursts['perSecond']:,.1f}/s  (timed out {bursts['timeouts']})"],
        report.latency_row("burst time (to all in)", bursts["latencyMs"]),
        *fanout.summary(results),
    ]


async def burst(run: RunOptions, opts: BurstOptions) -> dict[str, Any]:
    traffic = opts.traffic()
    doc = report.new("burst", run, {**asdict(opts), "senders": traffic.senders})
    async with fanout.staged(run, traffic, role="burst") as stage:
        doc["setup"] = stage.setup
        doc["results"] = await fanout.measure(stage, 0.0, opts.duration, "burst", burst=opts.burst)
    doc["summary"] = summary(doc["results"])
    doc["reportPath"] = str(report.finish(doc, run))
    return doc
