"""PNG figures from a report: latency percentiles over time, latency CDF, capacity steps.

Everything is drawn from the report's JSON, so figures can be redrawn from a saved report
(`python -m loadtest plot report.json`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def available() -> bool:
    """Whether matplotlib can be imported (it is the `loadtest` extra, not a dependency)."""
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def _plain_numbers(axis) -> None:
    """Log-scale ticks at 1, 2, 3, 5 of every decade (0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10...)
    labelled as plain numbers (not 2x10^0), and at 4, 6, 7, 8, 9 unlabelled: every latency can
    be read against a labelled tick, however narrow the range."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0), numticks=40))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_locator(LogLocator(base=10, subs=(4.0, 6.0, 7.0, 8.0, 9.0), numticks=40))
    axis.set_minor_formatter(NullFormatter())


def _latency_blocks(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(name, block) for every block of results that has a latency CDF."""
    blocks = [("delivery", results)] if "latencyCdf" in results else []
    blocks += [(key, value) for key, value in results.items()
               if isinstance(value, dict) and "latencyCdf" in value]
    return blocks


def _title(report: dict[str, Any], what: str) -> str:
    return f"{report['scenario']} vs {report['target']}: {what}"


def over_time(report: dict[str, Any], name: str, block: dict[str, Any], path: Path) -> Path | None:
    rows = block.get("latencyBySecond") or []
    if not rows:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    seconds = [r["second"] for r in rows]
    for key, style in (("p50", "-"), ("p90", "-"), ("p99", "-"), ("max", ":")):
        ax.plot(seconds, [r[key] for r in rows], style, label=key, marker="." if len(rows) < 40 else None)
    ax.set_yscale("log")
    _plain_numbers(ax.yaxis)
    ax.set_xlabel("second of the run (by send time)")
    ax.set_ylabel("latency, ms")
    ax.set_title(_title(report, f"{name} latency over time"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_cdf(report: dict[str, Any], name: str, block: dict[str, Any], path: Path) -> Path | None:
    points = block.get("latencyCdf") or []
    if not points:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot([p[0] for p in points], [p[1] * 100 for p in points], drawstyle="steps-post")
    ax.set_xscale("log")
    _plain_numbers(ax.xaxis)
    # p50, p90 and p99 marked where the curve crosses them, with their values.
    latency = block.get("latencyMs") or {}
    for key, pct, color in (("p50", 50, "tab:green"), ("p90", 90, "tab:orange"), ("p99", 99, "tab:red")):
        ax.axhline(pct, color="grey", linewidth=0.6, linestyle="--")
        value = latency.get(key)
        if value:
            ax.axvline(value, color=color, linewidth=0.8, linestyle=":")
            ax.plot([value], [pct], "o", color=color, markersize=5)
            ax.annotate(f"{key} {value:.3g} ms", (value, pct), textcoords="offset points", xytext=(6, -12),
                        color=color, fontsize=9)
    ax.set_xlabel("latency, ms")
    ax.set_ylabel("% of deliveries at or below")
    ax.set_ylim(0, 100.5)
    ax.set_title(_title(report, f"{name} latency CDF"))
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def capacity_steps(report: dict[str, Any], path: Path) -> Path | None:
    steps = report["results"].get("steps") or []
    if not steps:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    rates = [s["deliveredPerSecond"] for s in steps]
    for key in ("p50", "p99", "max"):
        ax.plot(rates, [s["latencyMs"][key] for s in steps], marker="o", label=key)
    bound = report["params"].get("p99BoundMs")
    if bound:
        ax.axhline(bound, color="red", linewidth=0.8, linestyle="--", label=f"p99 bound {bound} ms")
    ax.set_yscale("log")
    _plain_numbers(ax.yaxis)
    ax.set_xlabel("delivered messages per second")
    ax.set_ylabel("latency, ms")
    ax.set_title(_title(report, "latency as the rate steps up"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(report: dict[str, Any], out: Path, stem: str) -> list[Path]:
    paths = []
    for name, block in _latency_blocks(report["results"]):
        paths.append(over_time(report, name, block, out / f"{stem}-{name}-over-time.png"))
        paths.append(latency_cdf(report, name, block, out / f"{stem}-{name}-cdf.png"))
    if report["scenario"] == "capacity":
        paths.append(capacity_steps(report, out / f"{stem}-steps.png"))
    return [p for p in paths if p is not None]
