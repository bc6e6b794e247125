"""dm: P pairs of users ping-ponging direct messages; round-trip percentiles, and every
dm:new accounted for at both users of its conversation."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from loadtest import measures, report
from loadtest.coordinator import Workers, split
from loadtest.ledger import account
from loadtest.options import RunOptions
from loadtest.plans import Connecting, DmPlan, Round
from loadtest.population import prepare, release
from loadtest.progress import ProgressBar, log
from loadtest.rounds import RoundOutcome, drive
from loadtest.scenarios.fanout import SETUP_RETRIES, connecting_bar
from loadtest.serverstats import ServerProbe


@dataclass
class DmOptions:
    pairs: int = 50
    rate: float = 0.0  # round trips per second, all pairs together; 0: one per pair per second
    duration: float = 10.0
    size: int = 0
    rtt_timeout: float = 5.0  # a ping unanswered this long counts as a timeout, and the pair goes on
    drain: float = 5.0


async def _ping_pong(run: RunOptions, opts: DmOptions, rate: float, pairs: list[tuple[int, Any, Any]],
                     doc: dict[str, Any], started: float, setup_seconds: float) -> RoundOutcome:
    """Connect the pairs, open their conversations, and drive the one measured round."""
    shares = split(pairs, run.procs)
    tag = secrets.token_hex(4)
    connecting = Connecting(run.connect_rate / run.procs, run.connect_concurrency, run.connect_timeout,
                            retries=SETUP_RETRIES)
    async with Workers(run.procs) as workers:
        workers.send_all("setup", [DmPlan(run.url, tag, share, connecting) for share in shares])
        ready = await workers.gather("ready", timeout=2 * opts.pairs / run.connect_rate + 120,
                                     tick=connecting_bar(run, 2 * opts.pairs, len(shares)))
        connect = measures.connect_stats([r["connect"] for r in ready])
        open_errors: dict[str, int] = {}
        for r in ready:
            for code, n in r["openErrors"].items():
                open_errors[code] = open_errors.get(code, 0) + n
        if connect["failed"] or open_errors:
            raise RuntimeError(f"setup failed: {connect['failed']} connections failed "
                               f"({connect['errors']}), dm:open failed: {open_errors}")
        doc["setup"] = {"seconds": round(time.monotonic() - started, 1),
                        "accountSeconds": round(setup_seconds, 1), "connect": connect}
        start_at = time.monotonic() + 1.0
        rounds = [Round(1, start_at, opts.duration, rate * len(share) / opts.pairs, opts.size, opts.rtt_timeout)
                  for share in shares]
        return await drive(workers, rounds, {p: 2 for p, _, _ in pairs}, drain=opts.drain,
                           bar=ProgressBar("dm", enabled=not run.quiet), probe=ServerProbe(run.server_pids))


async def dm(run: RunOptions, opts: DmOptions) -> dict[str, Any]:
    rate = opts.rate or float(opts.pairs)
    doc = report.new("dm", run, {**asdict(opts), "rate": rate})
    started = time.monotonic()

    def say(text: str) -> None:
        log(text, enabled=not run.quiet)

    say(f"setup: {opts.pairs} pairs on {run.target} at {run.url}")
    population = await prepare(run.target, run.url, 2 * opts.pairs, 0, concurrency=run.setup_concurrency,
                               accounts_cache=run.accounts_cache, log=say)
    seats = population.seats
    pairs = [(p, seats[2 * p], seats[2 * p + 1]) for p in range(opts.pairs)]
    members = {p: [2 * p, 2 * p + 1] for p in range(opts.pairs)}
    try:
        outcome = await _ping_pong(run, opts, rate, pairs, doc, started, population.setup_seconds)
    finally:
        await release(run.target, run.url, population, log=say)
    acc = account(members, members, [r.sends for r in outcome.results], [r.receipts for r in outcome.results])
    results = measures.delivery(outcome, acc)
    results["roundTrip"] = measures.round_trips(outcome)
    doc["results"] = results
    doc["summary"] = [
        ["round trips", f"{report.rate(results['roundTrip']['perSecond'])}  "
                        f"(timeouts {results['roundTrip']['timeouts']})"],
        report.latency_row("round trip", results["roundTrip"]["latencyMs"]),
        report.latency_row("one way (send to receipt)", results["latencyMs"]),
        report.latency_row("ack latency", results["ackLatencyMs"]),
        *report.accounting_rows(results["accounting"]),
        *report.cost_rows(results),
    ]
    doc["reportPath"] = str(report.finish(doc, run))
    return doc
