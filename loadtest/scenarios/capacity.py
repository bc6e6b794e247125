"""capacity: fan-out with the rate stepped up until p99 passes a bound or anything is lost;
the answer is the highest delivered rate that held.

The same connected clients serve every step (setup is paid once); each step is its own
round, so a late delivery from one step never counts in the next.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtest import report
from loadtest.options import RunOptions
from loadtest.scenarios.fanout import FanoutOptions, measure, staged

KEEP_UP = 0.95  # below this share of the asked rate actually sent, the load generator is the limit


@dataclass
class CapacityOptions:
    fanout: FanoutOptions = field(default_factory=FanoutOptions)  # rate: the first step; duration: each step
    factor: float = 1.5
    max_steps: int = 10
    p99_bound_ms: float = 100.0
    pause: float = 1.0  # between steps, for the server to settle


def verdict(step: dict[str, Any], asked: float, bound: float) -> str | None:
    """None when the step held, else why not (every reason that applies, the latency first)."""
    acc, reasons = step["accounting"], []
    p99 = step["latencyMs"]["p99"]
    if p99 is not None and p99 > bound:
        reasons.append(f"p99 {p99:.1f} ms over the {bound:.0f} ms bound")
    if acc["lost"] or acc["unacked"]:
        reasons.append(f"{acc['lost']} deliveries not received by the end of the drain, "
                       f"{acc['unacked']} sends not acknowledged")
    if acc["duplicated"] or acc["out_of_order"] or acc["unexpected"]:
        reasons.append(f"duplicated {acc['duplicated']}, out of order {acc['out_of_order']}, "
                       f"unexpected {acc['unexpected']}")
    if acc["refused"]:
        reasons.append(f"server refused {acc['refused']} sends: {acc['errors']}")
    if step["sentPerSecond"] < KEEP_UP * asked:
        reasons.append(f"the load generator sent only {step['sentPerSecond']:.0f} of {asked:.0f} msgs/s")
    return "; ".join(reasons) or None


def _step_row(step: dict[str, Any]) -> dict[str, Any]:
    """A step as the report lists it (without its long per-second series)."""
    return {k: v for k, v in step.items() if k not in ("latencyBySecond", "latencyCdf")}


async def capacity(run: RunOptions, opts: CapacityOptions) -> dict[str, Any]:
    params = {**asdict(opts.fanout), "factor": opts.factor, "maxSteps": opts.max_steps,
              "p99BoundMs": opts.p99_bound_ms, "startRate": opts.fanout.rate,
              "stepDuration": opts.fanout.duration}
    doc = report.new("capacity", run, params)
    steps: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    stop_reason = f"reached the last step ({opts.max_steps})"
    async with staged(run, opts.fanout) as stage:
        doc["setup"] = stage.setup
        for i in range(opts.max_steps):
            rate = opts.fanout.rate * opts.factor ** i
            step = await measure(stage, rate, opts.fanout.duration, f"step {i + 1} {rate:,.0f}/s")
            why = verdict(step, rate, opts.p99_bound_ms)
            if why is not None and step["loadgen"]["saturated"]:
                why += (f" (the load generator was at {step['loadgen']['maxCpuPercent']:.0f}% CPU: "
                        "the limit may be its own)")
            step["held"], step["why"] = why is None, why
            steps.append(step)
            if why is not None:
                stop_reason = why
                break
            if best is None or step["deliveredPerSecond"] > best["deliveredPerSecond"]:
                best = step
            await asyncio.sleep(opts.pause)
    doc["results"] = {
        "maxDeliveredPerSecond": best["deliveredPerSecond"] if best else None,
        "maxSentPerSecond": best["sentPerSecond"] if best else None,
        "stoppedBecause": stop_reason,
        "steps": [_step_row(s) for s in steps],
        **({"best": {k: best[k] for k in ("latencyMs", "latencyBySecond", "latencyCdf", "server", "loadgen")}}
           if best else {}),
    }
    doc["summary"] = [
        ["highest delivered rate that held", report.rate(doc["results"]["maxDeliveredPerSecond"])
         + (f"  ({report.rate(best['sentPerSecond'])} sent)" if best else "")],
        ["stopped because", stop_reason],
        *[[f"step {i + 1}: {s['rate']:,.0f} msgs/s",
           f"delivered {report.rate(s['deliveredPerSecond'])}  p50 {report.ms(s['latencyMs']['p50'])}  "
           f"p99 {report.ms(s['latencyMs']['p99'])}  lost {s['accounting']['lost']}  "
           f"load CPU {s['loadgen']['maxCpuPercent']}%"
           + (f"  server {report.rate(s['server']['deliveriesPerCpuSecond'])} per CPU-s" if s["server"] else "")
           + ("" if s["held"] else "  FAILED")]
          for i, s in enumerate(steps)],
    ]
    doc["reportPath"] = str(report.finish(doc, run))
    return doc
