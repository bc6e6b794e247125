"""fanout: N clients in R channels, S of them sending M messages per second in total for D
seconds; every delivery to every member accounted for, latency from send to receipt."""

from __future__ import annotations

import secrets
import time
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any

from loadtest import measures, report
from loadtest.coordinator import Workers, split
from loadtest.ledger import account
from loadtest.options import RunOptions
from loadtest.plans import Connecting, FanoutPlan, Round
from loadtest.population import Seat, prepare, release
from loadtest.progress import ProgressBar, log
from loadtest.rounds import drive
from loadtest.serverstats import ServerProbe

SETUP_RETRIES = 3  # a connection that times out in setup is tried again: setup is not measured


@dataclass
class FanoutOptions:
    clients: int = 100
    channels: int = 10
    senders: int = 10
    rate: float = 100.0  # messages per second, all senders together
    duration: float = 10.0
    size: int = 0  # pad content to this many characters (the tag alone is about 40)
    drain: float = 5.0  # how long to wait for deliveries after sending stops

    def check(self) -> None:
        if not 1 <= self.channels <= self.clients:
            raise ValueError("need 1 <= channels <= clients")
        if not 1 <= self.senders <= self.clients:
            raise ValueError("need 1 <= senders <= clients")


@dataclass
class Stage:
    """Connected clients in their channels, ready for rounds."""

    run: RunOptions
    opts: FanoutOptions
    workers: Workers
    members: dict[int, list[int]]  # channel number -> seat indexes
    senders: dict[int, list[int]]  # channel number -> seat indexes of its senders
    local_senders: list[int]  # senders per load process
    setup: dict[str, Any]
    probe: ServerProbe
    round_id: int = 0


def deal(seats: list[Seat], channel_of: dict[int, int], procs: int, *, whole_channels: bool) -> list[list[Seat]]:
    """The load processes' shares of the clients: a bit of every channel each, or (whole_channels)
    whole channels each, so that a process sees all of a channel's deliveries (and no more
    processes than channels)."""
    if not whole_channels:
        return split(seats, procs)
    channels = sorted(set(channel_of.values()))
    return [[seat for seat in seats if channel_of[seat.index] in mine]
            for mine in split(channels, min(procs, len(channels)))]


@asynccontextmanager
async def staged(run: RunOptions, opts: FanoutOptions, role: str = "fanout"):
    """Clients connected and in their channels, in load processes playing `role` (fanout, or
    burst: closed loop per channel, so each channel's clients stay in one process)."""
    opts.check()

    def say(text: str) -> None:
        log(text, enabled=not run.quiet)

    started = time.monotonic()
    say(f"setup: {opts.clients} users in {opts.channels} channels on {run.target} at {run.url}")
    population = await prepare(run.target, run.url, opts.clients, opts.channels,
                               concurrency=run.setup_concurrency, accounts_cache=run.accounts_cache, log=say)
    channel_of = {seat.index: seat.index % opts.channels for seat in population.seats}
    members = {c: [i for i, ch in channel_of.items() if ch == c] for c in range(opts.channels)}
    senders = {c: [i for i in range(opts.senders) if channel_of[i] == c] for c in range(opts.channels)}
    shares = deal(population.seats, channel_of, run.procs, whole_channels=role == "burst")
    tag = secrets.token_hex(4)
    plans = [FanoutPlan(run.url, tag, seats, population.channel_ids, channel_of,
                        [s.index for s in seats if s.index < opts.senders],
                        Connecting(run.connect_rate / len(shares), run.connect_concurrency, run.connect_timeout,
                                   retries=SETUP_RETRIES), role)
             for seats in shares]
    try:
        async with Workers(len(plans)) as workers:
            workers.send_all("setup", plans)
            say(f"setup: connecting {opts.clients} sockets at {run.connect_rate:.0f}/s "
                f"from {len(plans)} load process(es)")
            ready = await workers.gather("ready", timeout=opts.clients / run.connect_rate + 120,
                                         tick=connecting_bar(run, opts.clients, len(plans)))
            setup = {"seconds": round(time.monotonic() - started, 1),
                     "accountSeconds": round(population.setup_seconds, 1), "connect": _check_ready(ready)}
            yield Stage(run, opts, workers, members, senders, [len(p.senders) for p in plans], setup,
                        ServerProbe(run.server_pids))
    finally:
        await release(run.target, run.url, population, log=say)


def connecting_bar(run: RunOptions, sockets: int, procs: int):
    """A progress bar for the connect phase, by the time it should take at --connect-rate."""
    bar = ProgressBar("connect", enabled=not run.quiet)
    started = time.monotonic()
    expected = sockets / run.connect_rate + 1.0

    def tick(ready: int) -> None:
        elapsed = time.monotonic() - started
        if ready == procs:
            bar.done(f"{sockets} sockets connected and in their channels in {elapsed:.1f} s")
        else:
            bar.update(min(elapsed / expected, 0.99), f"{elapsed:.0f} s; {ready}/{procs} load process(es) ready")

    return tick


def _check_ready(ready: list[dict[str, Any]]) -> dict[str, Any]:
    """The merged connect figures; an error if any client is not connected and in its channel."""
    connect = measures.connect_stats([r["connect"] for r in ready])
    join_errors: dict[str, int] = {}
    for r in ready:
        for code, n in r["joinErrors"].items():
            join_errors[code] = join_errors.get(code, 0) + n
    if connect["failed"] or join_errors:
        raise RuntimeError(f"setup failed: {connect['failed']} connections failed "
                           f"({connect['errors']}), channel joins failed: {join_errors}")
    return connect


async def measure(stage: Stage, rate: float, duration: float, label: str, burst: int = 0) -> dict[str, Any]:
    """One round at `rate` messages per second (or, burst role, in bursts of `burst` per sender);
    its figures as report values."""
    stage.round_id += 1
    start_at = time.monotonic() + 1.0
    total_senders = stage.opts.senders
    rounds = [Round(stage.round_id, start_at, duration, rate * n / total_senders, stage.opts.size,
                    rtt_timeout=stage.opts.drain, burst=burst)
              for n in stage.local_senders]
    bar = ProgressBar(label, enabled=not stage.run.quiet)
    counts = {c: len(m) for c, m in stage.members.items()}
    outcome = await drive(stage.workers, rounds, counts, drain=stage.opts.drain, bar=bar, probe=stage.probe)
    acc = account(stage.members, stage.senders, [r.sends for r in outcome.results],
                  [r.receipts for r in outcome.results])
    figures = {**({"burst": burst} if burst else {"rate": rate}), "duration": duration,
               **measures.delivery(outcome, acc)}
    if burst:
        figures["bursts"] = measures.round_trips(outcome)
    return figures


def summary(results: dict[str, Any]) -> list[list[str]]:
    return [
        ["sent", report.rate(results["sentPerSecond"])],
        ["delivered", f"{report.rate(results['deliveredPerSecond'])}  "
                      f"(over {results['deliveryWindowSeconds']} s)"],
        report.latency_row("latency (send to receipt)", results["latencyMs"]),
        report.latency_row("ack latency", results["ackLatencyMs"]),
        *report.accounting_rows(results["accounting"]),
        *report.cost_rows(results),
    ]


async def fanout(run: RunOptions, opts: FanoutOptions) -> dict[str, Any]:
    doc = report.new("fanout", run, asdict(opts))
    async with staged(run, opts) as stage:
        doc["setup"] = stage.setup
        doc["results"] = await measure(stage, opts.rate, opts.duration, "fanout")
    doc["summary"] = summary(doc["results"])
    doc["reportPath"] = str(report.finish(doc, run))
    return doc
