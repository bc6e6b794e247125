"""The results section of docs/benchmarks.md, rewritten between two markers by each bench.

Everything outside the markers is written by people and left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loadtest.bench.configs import Config
from loadtest.bench.figures import FIGURES, combine, fmt, ratio

BEGIN = "<!-- bench:results:begin (written by scripts/bench; edits here are overwritten) -->"
END = "<!-- bench:results:end -->"
TARGETS = ("ours", "node", "python")


def _machine(machine: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    return [
        f"Measured {settings['date']} at commit `{machine.get('commit') or '?'}` on **{machine['cpu']}**, "
        f"{machine['cores']} cores, {machine.get('memoryGiB')} GiB, {machine['kernel']}; "
        f"Python {machine['python']}, Node {machine.get('node') or '-'}; aiohttp {machine.get('aiohttp')}, "
        f"python-socketio {machine.get('python-socketio')}, python-engineio {machine.get('python-engineio')}, "
        f"socket.io (Node) {machine.get('socket.io (node)') or '-'}.",
        "",
        f"Server on CPU {settings['serverCpus']}, load ({settings['procs']} process(es)) on CPU "
        f"{settings['loadCpus']}; {settings['reps']} run(s) of each, targets alternating, medians shown; "
        f"scale {settings['scale']:g} of the standard sizes; the machine's load average ranged "
        f"{settings['loadAverage'][0]}-{settings['loadAverage'][1]} around the runs (above 2 on 2 cores: "
        f"other work shared the machine). Command: `{settings['command']}`.",
    ]


def _saturated(results: dict[str, Any]) -> bool:
    """Whether the load generator ran out of CPU in the run (in capacity: in its last step)."""
    steps = results.get("steps") or [results]
    return bool((steps[-1].get("loadgen") or {}).get("saturated"))


def _table(config: Config, runs: dict[str, list[dict[str, Any]]]) -> list[str]:
    present = [t for t in TARGETS if runs.get(t)]
    lines = [f"### {config.name}: {config.title}", "",
             "| | " + " | ".join(present) + " | " + " | ".join(f"ours/{t}" for t in present if t != "ours") + " |",
             "|---" * (1 + len(present) + len([t for t in present if t != "ours"])) + "|"]
    for figure in FIGURES[config.scenario]:
        values = {t: combine([figure.read(r["results"]) for r in runs[t]]) for t in present}
        ratios = [ratio(values.get("ours"), values[t]) if figure.better and "ours" in values else ""
                  for t in present if t != "ours"]
        note = f" ({figure.better} is better)" if figure.better and any(ratios) else ""
        lines.append(f"| {figure.label}{note} | " + " | ".join(fmt(values[t]) for t in present)
                     + " | " + " | ".join(ratios) + " |")
    saturated = [t for t in present for r in runs[t] if _saturated(r["results"])]
    if saturated:
        lines += ["", f"The load generator was near 100% CPU in runs against {', '.join(sorted(set(saturated)))}: "
                      "there the figures may show its limit rather than the server's."]
    return lines + [""]


def section(configs: list[Config], runs: dict[str, dict[str, list[dict[str, Any]]]],
            machine: dict[str, Any], settings: dict[str, Any]) -> str:
    lines = [BEGIN, "", "## Latest results", "", *_machine(machine, settings), ""]
    for config in configs:
        if runs.get(config.name):
            lines += _table(config, runs[config.name])
    lines.append(END)
    return "\n".join(lines)


def write(doc: Path, text: str) -> None:
    """Replace the section between the markers, or add it at the end."""
    current = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        doc.write_text(head + text + tail)
    else:
        doc.write_text(current.rstrip("\n") + "\n\n" + text + "\n")
