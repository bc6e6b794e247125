"""The bench: every configuration against ours and both baselines, same parameters, targets
alternating from one repetition to the next, server and load pinned to separate CPUs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from loadtest.bench import machine, markdown, servers
from loadtest.bench.configs import standard
from loadtest.options import RunOptions
from loadtest.worker import raise_open_file_limit

REPO = Path(__file__).resolve().parents[2]
TARGETS = ("ours", "node", "python")


def _cpu_defaults() -> tuple[str, str, int]:
    cores = os.cpu_count() or 1
    if cores < 2:
        return "0", "0", 1
    return "0", "1" if cores == 2 else f"1-{cores - 1}", max(1, cores - 1)


def parser() -> argparse.ArgumentParser:
    server_cpus, load_cpus, procs = _cpu_defaults()
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    names = [c.name for c in standard()]
    p.add_argument("--only", nargs="+", choices=list(dict.fromkeys(names + [n.split("-")[0] for n in names])),
                   help="run only these configurations; a group (rooms) runs all of it (default: all)")
    p.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    p.add_argument("--reps", type=int, default=3, help="runs of each configuration per target (default 3)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="fraction of the standard sizes (clients, connections, pairs); default 1")
    p.add_argument("--duration", type=float, help="seconds per run (and per capacity step) instead of 30 / 10")
    p.add_argument("--server-cpus", default=server_cpus, help=f"taskset CPU list for the server ({server_cpus})")
    p.add_argument("--load-cpus", default=load_cpus, help=f"CPU list for the load processes ({load_cpus})")
    p.add_argument("--procs", type=int, default=procs, help=f"load processes ({procs})")
    p.add_argument("--port", type=int, default=18080, help="ours listens here, node +1, python +2")
    p.add_argument("--out", default="loadtest-out/bench", help="folder for every run's report and figures")
    p.add_argument("--doc", default=str(REPO / "docs" / "benchmarks.md"), help="the page to write results into")
    p.add_argument("--no-doc", action="store_true", help="leave docs/benchmarks.md alone")
    p.add_argument("--cooldown", type=float, default=2.0, help="seconds between runs")
    p.add_argument("--quiet", action="store_true")
    return p


def _cpus(spec: str) -> set[int]:
    found: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return found


def _order(targets: list[str], rep: int) -> list[str]:
    """ours, node, python; then node, python, ours; ...: no target always runs first."""
    shift = rep % len(targets)
    return targets[shift:] + targets[:shift]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    configs = [c for c in standard(args.scale, args.duration)
               if not args.only or c.name in args.only or c.group in args.only]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out) / stamp
    # Short path: the embedded PostgreSQL's unix socket lives in its data directory.
    workdir = Path(tempfile.mkdtemp(prefix="chatbench-", dir="/tmp"))
    ports = {"ours": args.port, "node": args.port + 1, "python": args.port + 2}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {c.name: {t: [] for t in args.targets} for c in configs}
    failures: list[dict[str, str]] = []
    loads: list[float] = []  # the machine's 1-minute load average around each run: others' work shows here
    try:
        for rep in range(args.reps):
            for config in configs:
                for target in _order(list(args.targets), rep):
                    label = f"{config.name}-{target}-{rep + 1}"
                    print(f"\n== {config.name} against {target} (run {rep + 1}/{args.reps})", file=sys.stderr)
                    out.mkdir(parents=True, exist_ok=True)
                    with (out / f"{label}-server.log").open("wb") as log:
                        server = servers.start(target, port=ports[target], data_dir=workdir / "ours",
                                               cpus=args.server_cpus, log=log)
                    loads.append(os.getloadavg()[0])
                    try:
                        run = RunOptions(url=server.url, target=target, procs=args.procs, out=str(out),
                                         server_pids=server.pids, quiet=args.quiet,
                                         accounts_cache=str(workdir / "accounts.json"),
                                         label=label)
                        runs[config.name][target].append(await config.run(run))
                    except Exception as exc:  # one failed run must not lose the others
                        traceback.print_exc()
                        failures.append({"config": config.name, "target": target, "error": str(exc)})
                    finally:
                        server.stop()
                        loads.append(os.getloadavg()[0])
                    await asyncio.sleep(args.cooldown)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"configs": configs, "runs": runs, "failures": failures, "out": out,
            "loadAverage": [round(min(loads, default=0), 2), round(max(loads, default=0), 2)]}


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    raise_open_file_limit()  # inherited by the servers and the load processes
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, _cpus(args.load_cpus))  # the load processes inherit it
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the servers on the way out
    described = machine.describe()
    done = asyncio.run(bench(args))
    settings = {"date": dt.date.today().isoformat(), "serverCpus": args.server_cpus, "loadCpus": args.load_cpus,
                "procs": args.procs, "reps": args.reps, "scale": args.scale, "loadAverage": done["loadAverage"],
                "command": "scripts/bench " + shlex.join(argv if argv is not None else sys.argv[1:])}
    section = markdown.section(done["configs"], done["runs"], described, settings)
    out: Path = done["out"]
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(
        {"machine": described, "settings": settings, "failures": done["failures"],
         "runs": {c: {t: [r["results"] for r in rs] for t, rs in ts.items()} for c, ts in done["runs"].items()}},
        indent=1, default=str))
    (out / "bench.md").write_text(section + "\n")
    print("\n" + section)
    if not args.no_doc:
        markdown.write(Path(args.doc), section)
        print(f"\nwritten into {args.doc}; reports and figures in {out}", file=sys.stderr)
    if done["failures"]:
        print(f"\n{len(done['failures'])} run(s) failed: {done['failures']}", file=sys.stderr)
        sys.exit(1)
