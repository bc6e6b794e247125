"""connect: C sockets opened at a given rate and held idle; connect rate, failures, and
the server's resident memory per connection."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from loadtest import measures, report
from loadtest.coordinator import Workers, split
from loadtest.histogram import merge_all
from loadtest.options import RunOptions
from loadtest.plans import Connecting, ConnectPlan, Round, RoundResult
from loadtest.population import Population, Seat, made_up, prepare, release
from loadtest.progress import ProgressBar, log
from loadtest.serverstats import ServerProbe, ServerSample

DEFAULT_ACCOUNTS = 100


@dataclass
class ConnectOptions:
    connections: int = 1000
    rate: float = 200.0  # new connections per second, all load processes together
    hold: float = 10.0  # seconds to hold them all open before measuring memory
    accounts: int = 0  # ours: distinct users the connections share (0: up to 100), as devices do
    ready_presence: str = "all"  # ours: auth.presence, "none" leaves everyone's presence out of `ready`

    def accounts_for(self, target: str) -> int:
        if target != "ours":
            return self.connections
        return min(self.connections, self.accounts or DEFAULT_ACCOUNTS)


async def _seats(run: RunOptions, opts: ConnectOptions) -> tuple[Population, list[Seat]]:
    """One user per connection for the baselines; for ours, connections share fewer accounts
    (each costs two argon2 hashes to make), as one user's several devices would."""
    if run.target != "ours":
        population = made_up(opts.connections, 0)
        return population, population.seats
    population = await prepare(run.target, run.url, opts.accounts_for(run.target), 0,
                               concurrency=run.setup_concurrency, accounts_cache=run.accounts_cache,
                               log=lambda text: log(text, enabled=not run.quiet))
    users = population.seats
    extra = {"presence": opts.ready_presence} if opts.ready_presence != "all" else {}
    return population, [Seat(i, users[i % len(users)].user_id, users[i % len(users)].auth | extra)
                        for i in range(opts.connections)]


async def _wait_connected(workers: Workers, total: int, bar: ProgressBar) -> dict[int, dict[str, Any]]:
    latest: dict[int, dict[str, Any]] = {}
    while len(latest) < workers.count or not all(c["sendingDone"] for c in latest.values()):
        message = await workers.next(0.25)
        if message is not None and message[1] == "progress":
            latest[message[0]] = message[2]
        connected = sum(c["connected"] for c in latest.values())
        failed = sum(c["failed"] for c in latest.values())
        bar.update(connected / total, f"connected {connected}/{total}  failed {failed}")
    bar.done(f"connected {connected}/{total}  failed {failed}")
    return latest


async def _hold(workers: Workers, seconds: float, bar: ProgressBar) -> None:
    until = time.monotonic() + seconds
    dropped: dict[int, int] = {}
    while (left := until - time.monotonic()) > 0:
        message = await workers.next(min(0.25, left))
        if message is not None and message[1] == "progress":
            dropped[message[0]] = message[2]["dropped"]
        bar.update(1 - left / seconds, f"holding {seconds - left:4.1f}/{seconds:.0f}s  "
                                       f"dropped {sum(dropped.values())}")
    bar.done(f"held {seconds:.0f}s  dropped {sum(dropped.values())}")


async def _open_and_hold(run: RunOptions, opts: ConnectOptions,
                         seats: list[Seat]) -> tuple[list[RoundResult], float, ServerSample, ServerSample]:
    """Open every connection at the asked rate, hold them, and sample the server before and after."""
    probe = ServerProbe(run.server_pids)
    async with Workers(run.procs) as workers:
        workers.send_all("setup", [ConnectPlan(run.url, share) for share in split(seats, run.procs)])
        await workers.gather("ready", timeout=60)
        idle = probe.sample()
        start_at = time.monotonic() + 0.5
        connecting = Connecting(opts.rate / run.procs, run.connect_concurrency, run.connect_timeout)
        workers.send_all("run", [Round(1, start_at, 0.0, 0.0, connecting=connecting)] * run.procs)
        await _wait_connected(workers, opts.connections, ProgressBar("connect", enabled=not run.quiet))
        await _hold(workers, opts.hold, ProgressBar("hold", enabled=not run.quiet))
        held = probe.sample()
        workers.send_all("finish")
        results = await workers.gather("result", timeout=120)
    return results, start_at, idle, held


async def connect(run: RunOptions, opts: ConnectOptions) -> dict[str, Any]:
    doc = report.new("connect", run, {**asdict(opts), "accounts": opts.accounts_for(run.target)})
    population, seats = await _seats(run, opts)
    try:
        results, start_at, idle, held = await _open_and_hold(run, opts, seats)
    finally:
        await release(run.target, run.url, population, log=lambda text: log(text, enabled=not run.quiet))

    stats = [r.extra["connect"] for r in results]
    connected = sum(s.connected for s in stats)
    last = max((s.last_at for s in stats if s.last_at), default=None)
    span = (last - start_at) if last else None
    rss_growth = (held.rss_kib - idle.rss_kib) if held.rss_kib is not None and idle.rss_kib is not None else None
    doc["results"] = {
        **measures.connect_stats(stats),
        "connectPerSecond": round(connected / span, 1) if span else None,
        "alive": sum(r.extra["alive"] for r in results),
        "dropped": sum(r.extra["dropped"] for r in results),
        "server": {"idleRssKiB": idle.rss_kib, "heldRssKiB": held.rss_kib,
                   "kibPerConnection": round(rss_growth / connected, 2) if rss_growth and connected else None,
                   "cpuSeconds": round(held.cpu_seconds - idle.cpu_seconds, 3)
                   if held.cpu_seconds is not None and idle.cpu_seconds is not None else None},
        "loadgen": measures.loadgen(results),
        "connectLatency": {"latencyMs": measures.latency(merge_all([s.latency for s in stats])),
                           "latencyCdf": measures.cdf(merge_all([s.latency for s in stats]))},
    }
    r = doc["results"]
    doc["summary"] = [
        ["connected / failed", f"{r['connected']:,} / {r['failed']:,}" + (f"  {r['errors']}" if r["errors"] else "")],
        ["connect rate", report.rate(r["connectPerSecond"])],
        report.latency_row("connect latency", r["connectLatency"]["latencyMs"]),
        ["alive after hold / dropped", f"{r['alive']:,} / {r['dropped']:,}"],
        ["server memory", "-" if r["server"]["heldRssKiB"] is None else
         f"{r['server']['idleRssKiB']:,} KiB idle, {r['server']['heldRssKiB']:,} KiB held: "
         f"{r['server']['kibPerConnection']} KiB per connection"],
    ]
    doc["reportPath"] = str(report.finish(doc, run))
    return doc
