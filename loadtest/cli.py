"""`chat-loadtest` / `python -m loadtest`: the scenarios, the baselines, and redrawing figures."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from loadtest.options import RunOptions
from loadtest.population import TARGETS

EXAMPLES = """Against this project's server, start it with its limits raised for load: `./scripts/serve --load-test`
(or `chatserver serve --load-test`); without that, sign-ups and sends are rate limited.

examples:
  chat-loadtest fanout --url http://127.0.0.1:8080
  chat-loadtest fanout --url http://127.0.0.1:8080 --clients 1000 --channels 10 --senders 100 --rate 100
  chat-loadtest capacity --url http://127.0.0.1:8091 --target node --clients 1000 --channels 10
  chat-loadtest connect --url http://127.0.0.1:8080 --connections 5000 --rate 500 --server-pid 1234
  chat-loadtest dm --url http://127.0.0.1:8090 --target python --pairs 200
  chat-loadtest burst --url http://127.0.0.1:8080 --clients 32 --burst 16 --duration 10
  chat-loadtest burst --url http://127.0.0.1:8091 --target node --clients 300 --channels 3 --senders 3 --burst 1
  chat-loadtest baseline node --port 8091
"""


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default after its help, unless the help says it or there is none to say."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        default = action.default
        if ("default" in (action.help or "") or default is None or default is False
                or default in ("", []) or default is argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("server and load")
    g.add_argument("--url", required=True, help="the server's base URL, e.g. http://127.0.0.1:8080")
    g.add_argument("--target", choices=TARGETS, default="ours",
                   help="what the server is: ours (accounts and channels made over HTTP; serve it with its "
                        "load-test preset, as `chat-loadtest -h` says) or a baseline (node, python: any "
                        "auth accepted, ids made up)")
    g.add_argument("--procs", type=int, default=1, help="load processes")
    g.add_argument("--server-pid", type=int, action="append", default=[], dest="server_pids",
                   help="server process to measure, repeatable (memory from the first; CPU of all and their "
                        "children) (default: none)")
    g.add_argument("--connect-rate", type=float, default=500.0, help="sockets opened per second in setup, all processes")
    g.add_argument("--connect-concurrency", type=int, default=200, help="handshakes in flight per process")
    g.add_argument("--setup-concurrency", type=int, default=4,
                   help="parallel account registrations against ours (each is an argon2 hash)")
    g.add_argument("--accounts-cache", help="JSON file to keep and reuse accounts made on ours (default: none)")
    o = parser.add_argument_group("output")
    o.add_argument("--out", default="loadtest-out", help="folder for the JSON report and PNG figures")
    o.add_argument("--label", default="", help="file name stem (default: <scenario>-<target>)")
    o.add_argument("--no-plots", action="store_true",
                   help="skip the PNG figures (default: drawn when matplotlib is installed)")
    o.add_argument("--quiet", action="store_true", help="no progress and no table (default: both shown)")
    o.add_argument("--check", action="store_true",
                   help="exit 1 if anything was lost, duplicated or out of order (or a connect failed) "
                        "(default: exit 0 whatever the figures)")


def _fanout_args(parser: argparse.ArgumentParser, *, capacity: bool) -> None:
    g = parser.add_argument_group("traffic")
    g.add_argument("--clients", type=int, default=100, help="connected clients, dealt round-robin into the channels")
    g.add_argument("--channels", type=int, default=10, help="channels (client i is in channel i mod R)")
    g.add_argument("--senders", type=int, default=10, help="clients that send, the first S")
    if capacity:
        g.add_argument("--start-rate", "--rate", type=float, default=100.0, dest="rate",
                       help="messages per second in the first step, all senders together")
        g.add_argument("--step-duration", "--duration", type=float, default=10.0, dest="duration",
                       help="seconds of sending per step")
        g.add_argument("--factor", type=float, default=1.5, help="rate multiplier from step to step")
        g.add_argument("--steps", type=int, default=10, help="at most this many steps")
        g.add_argument("--p99-bound", type=float, default=100.0, help="ms; a step over it fails")
    else:
        g.add_argument("--rate", type=float, default=100.0, help="messages per second, all senders together")
        g.add_argument("--duration", type=float, default=10.0, help="seconds of sending")
    g.add_argument("--size", type=int, default=0, help="pad message content to this many characters (0: no padding)")
    g.add_argument("--drain", type=float, default=5.0, help="seconds to wait for deliveries after sending")


def _burst_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("traffic (closed loop: each channel's next burst starts once the last is in)")
    g.add_argument("--clients", type=int, default=32, help="clients, dealt round-robin into the channels")
    g.add_argument("--channels", type=int, default=1, help="channels (client i is in channel i mod R)")
    g.add_argument("--senders", type=int, default=0,
                   help="clients that send, the first S (0: all; S = channels: one per channel)")
    g.add_argument("--burst", type=int, default=16, help="messages each sender sends at once per burst")
    g.add_argument("--duration", type=float, default=10.0, help="seconds of bursts")
    g.add_argument("--size", type=int, default=0, help="pad message content to this many characters (0: no padding)")
    g.add_argument("--drain", type=float, default=5.0,
                   help="seconds a burst may take before it is given up (its missing deliveries lost), "
                        "and to wait for deliveries at the end")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="chat-loadtest", description="Load tests for the chat server.",
                                  epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fanout", help="N clients in R channels, S sending M msgs/s: latency and accounting",
                       formatter_class=_Help)
    _common(p)
    _fanout_args(p, capacity=False)
    p = sub.add_parser("capacity", help="fanout stepped up until p99 passes a bound or anything is lost",
                       formatter_class=_Help)
    _common(p)
    _fanout_args(p, capacity=True)
    p = sub.add_parser("connect", help="C idle connections at a given rate: rate, failures, memory each",
                       formatter_class=_Help)
    _common(p)
    p.add_argument("--connections", type=int, default=1000, help="connections to open and hold")
    p.add_argument("--rate", type=float, default=200.0, help="new connections per second")
    p.add_argument("--hold", type=float, default=10.0, help="seconds to hold them before measuring")
    p.add_argument("--accounts", type=int, default=0,
                   help="ours: distinct accounts the connections share, as one user's devices (default: 0, "
                        "meaning 100)")
    p.add_argument("--ready-presence", choices=("all", "none"), default="all",
                   help="ours: the CONNECT auth's `presence`; none leaves everyone's presence out of `ready`, "
                        "as a client that asks with presence:get would")
    p = sub.add_parser("dm", help="pairs ping-ponging direct messages: round-trip percentiles",
                       formatter_class=_Help)
    _common(p)
    p.add_argument("--pairs", type=int, default=50, help="pairs of users, each ping-ponging direct messages")
    p.add_argument("--rate", type=float, default=0.0, help="round trips per second in all (default: pairs)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of ping-pong")
    p.add_argument("--size", type=int, default=0, help="pad message content to this many characters (0: no padding)")
    p.add_argument("--rtt-timeout", type=float, default=5.0,
                   help="seconds a round trip may take before it counts as lost")
    p.add_argument("--drain", type=float, default=5.0, help="seconds to wait for deliveries after sending")
    p = sub.add_parser("burst", help="clients sending bursts at once, closed loop: deliveries/s, latency, "
                                     "accounting", formatter_class=_Help)
    _common(p)
    _burst_args(p)
    p = sub.add_parser("baseline", help="run a baseline server in the foreground", formatter_class=_Help)
    p.add_argument("kind", choices=("node", "python"), help="which baseline: Node socket.io or python-socketio")
    p.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free one)")
    p.add_argument("--cpus", help="pin to these CPUs (taskset list, e.g. 0) (default: not pinned)")
    p = sub.add_parser("plot", help="redraw the figures of a JSON report", formatter_class=_Help)
    p.add_argument("report", help="a JSON report written by a run")
    p.add_argument("--out", help="folder (default: the report's)")
    return top


def _run_options(args: argparse.Namespace) -> RunOptions:
    return RunOptions(url=args.url, target=args.target, procs=max(1, args.procs), out=args.out,
                      server_pids=args.server_pids, connect_rate=args.connect_rate,
                      connect_concurrency=args.connect_concurrency, setup_concurrency=args.setup_concurrency,
                      accounts_cache=args.accounts_cache, quiet=args.quiet, plots=not args.no_plots,
                      label=args.label)


async def _scenario(args: argparse.Namespace) -> dict[str, Any]:
    run = _run_options(args)
    if args.command in ("fanout", "capacity"):
        from loadtest.scenarios.fanout import FanoutOptions

        traffic = FanoutOptions(args.clients, args.channels, args.senders, args.rate, args.duration,
                                args.size, args.drain)
        if args.command == "fanout":
            from loadtest.scenarios.fanout import fanout

            return await fanout(run, traffic)
        from loadtest.scenarios.capacity import CapacityOptions, capacity

        return await capacity(run, CapacityOptions(traffic, args.factor, args.steps, args.p99_bound))
    if args.command == "burst":
        from loadtest.scenarios.burst import BurstOptions, burst

        return await burst(run, BurstOptions(args.clients, args.channels, args.senders, args.burst,
                                             args.duration, args.size, args.drain))
    if args.command == "connect":
        from loadtest.scenarios.connect import ConnectOptions, connect

        return await connect(run, ConnectOptions(args.connections, args.rate, args.hold, args.accounts,
                                                   args.ready_presence))
    from loadtest.scenarios.dm import DmOptions, dm

    return await dm(run, DmOptions(args.pairs, args.rate, args.duration, args.size, args.rtt_timeout, args.drain))


def _failed_check(doc: dict[str, Any]) -> bool:
    results = doc["results"]
    if doc["scenario"] == "connect":
        return bool(results["failed"] or results["dropped"])
    if doc["scenario"] == "capacity":
        return results["maxDeliveredPerSecond"] is None
    return not results["accounting"]["clean"]


def _baseline(args: argparse.Namespace) -> None:
    from loadtest.baselines import launch

    running = launch.start(args.kind, port=args.port, cpus=args.cpus)
    print(f"{args.kind} baseline listening on {running.url} (pid {running.pid}); Ctrl-C stops it", flush=True)
    try:
        running.process.wait()
    except KeyboardInterrupt:
        running.stop()


def _plot(args: argparse.Namespace) -> None:
    from loadtest import plots

    path = Path(args.report)
    doc = json.loads(path.read_text())
    out = Path(args.out) if args.out else path.parent
    out.mkdir(parents=True, exist_ok=True)
    for written in plots.write(doc, out, path.stem):
        print(written)


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "baseline":
        return _baseline(args)
    if args.command == "plot":
        return _plot(args)
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    try:
        doc = asyncio.run(_scenario(args))
    except KeyboardInterrupt:
        sys.exit(130)
    except (RuntimeError, ValueError) as exc:
        print(f"chat-loadtest: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.check and _failed_check(doc):
        sys.exit(1)
