"""The end of a run: a summary table on stdout, a JSON report and PNG figures in --out."""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from pathlib import Path
from typing import Any

from loadtest import plots
from loadtest.options import RunOptions


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new(scenario: str, run: RunOptions, params: dict[str, Any]) -> dict[str, Any]:
    return {"scenario": scenario, "target": run.target, "url": run.url, "startedAt": now_iso(),
            "params": params, "loadProcesses": run.procs, "python": platform.python_version()}


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def latency_row(label: str, lat: dict[str, Any]) -> list[str]:
    return [label, f"p50 {ms(lat['p50'])}  p90 {ms(lat['p90'])}  p99 {ms(lat['p99'])}  "
                   f"max {ms(lat['max'])}  (n={lat['count']:,})"]


def accounting_rows(acc: dict[str, Any]) -> list[list[str]]:
    return [
        ["sent / acked / refused", f"{acc['sent']:,} / {acc['acked']:,} / {acc['refused']:,}"
                                   + (f"  errors {acc['errors']}" if acc["errors"] else "")],
        ["expected / delivered", f"{acc['expected']:,} / {acc['delivered']:,}"],
        ["lost / duplicated / out of order",  # lost: not received by the end of the drain
         f"{acc['lost']:,} / {acc['duplicated']:,} / {acc['out_of_order']:,}"
         + (f"  unexpected {acc['unexpected']:,}" if acc["unexpected"] else "")],
    ]


def cost_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    server = results.get("server")
    if server:
        rows.append(["server CPU", f"{server['cpuSeconds']:.2f} s  "
                                   f"({rate(server['deliveriesPerCpuSecond'])} deliveries per CPU-second)"])
        if server.get("processCpuSeconds") not in (None, server["cpuSeconds"]):  # a database counted above
            rows.append(["server process only", f"{server['processCpuSeconds']:.2f} s  "
                                                f"({rate(server['deliveriesPerProcessCpuSecond'])} deliveries per CPU-second)"])
    gen = results.get("loadgen")
    if gen:
        note = "  SATURATED: the load generator may set the pace" if gen["saturated"] else ""
        rows.append(["load processes CPU", f"{gen['cpuPercent']} %{note}"])
    return rows


def table(report: dict[str, Any]) -> str:
    rows = report.get("summary", [])
    title = f"{report['scenario']} against {report['target']} at {report['url']}"
    width = max((len(r[0]) for r in rows), default=10)
    lines = [title, "-" * len(title)] + [f"{label:<{width}}  {value}" for label, value in rows]
    return "\n".join(lines)


MATPLOTLIB_MISSING = ("figures: skipped, matplotlib is not installed. Install it with "
                      "`.venv/bin/pip install -e '.[loadtest]'` (or `pip install matplotlib`), then draw "
                      "them from the report: `chat-loadtest plot {path}`")


def finish(report: dict[str, Any], run: RunOptions) -> Path:
    """Write the JSON report and print the summary table (unless quiet), then draw the figures:
    a figure that cannot be drawn (no matplotlib) costs the run nothing."""
    report["finishedAt"] = now_iso()
    out = Path(run.out)
    if not out.exists():
        out.mkdir(parents=True)
        (out / ".gitignore").write_text("*\n")  # results, not sources: keep them out of commits
    stem = run.label or f"{report['scenario']}-{report['target']}"
    path = out / f"{stem}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    if not run.quiet:
        print(table(report))
        print(f"report: {path}", flush=True)
    if run.plots:
        if not plots.available():
            print(MATPLOTLIB_MISSING.format(path=path), file=sys.stderr, flush=True)
            return path
        report["plots"] = [str(p) for p in plots.write(report, out, stem)]
        path.write_text(json.dumps(report, indent=1, default=str))  # now naming its figures too
        if not run.quiet:
            for figure in report["plots"]:
                print(f"figure: {figure}")
    return path
