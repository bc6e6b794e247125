"""What a person running the harness sees: the JSON report and the summary come before the
figures (and survive a missing matplotlib, with word of how to get it), the CDF marks p50/p90/p99
with their values on an axis whose labels can be read, and `--help` gives every default."""

from __future__ import annotations

import argparse
import json

import matplotlib
import pytest

from loadtest import cli, plots, report
from loadtest.options import RunOptions

matplotlib.use("Agg")


def _report() -> dict:
    latency = {"p50": 3.1, "p90": 4.4, "p99": 5.8, "max": 6.2, "count": 1000}
    cdf = [[2.0, 0.0], [2.5, 0.2], [3.1, 0.5], [4.4, 0.9], [5.8, 0.99], [6.2, 1.0]]
    seconds = [{"second": s, "p50": 3.1, "p90": 4.4, "p99": 5.8, "max": 6.2} for s in range(5)]
    return {"scenario": "fanout", "target": "ours", "url": "http://127.0.0.1:8080", "params": {},
            "results": {"latencyMs": latency, "latencyCdf": cdf, "latencyBySecond": seconds},
            "summary": [["delivered", "1,000/s"], report.latency_row("latency", latency)]}


def test_json_and_summary_come_first_and_a_missing_matplotlib_is_explained(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    path = report.finish(_report(), RunOptions(url="http://127.0.0.1:8080", out=str(tmp_path)))
    out, err = capsys.readouterr()
    assert json.loads(path.read_text())["scenario"] == "fanout"
    assert "latency" in out and "p50 3.10 ms" in out and f"report: {path}" in out
    assert "matplotlib is not installed" in err and "pip install -e '.[loadtest]'" in err
    assert f"chat-loadtest plot {path}" in err


def test_a_figure_that_fails_leaves_the_report_and_the_summary_written(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no figures today")

    monkeypatch.setattr(plots, "write", broken)
    with pytest.raises(RuntimeError):
        report.finish(_report(), RunOptions(url="http://127.0.0.1:8080", out=str(tmp_path)))
    assert (tmp_path / "fanout-ours.json").exists()
    assert "p99 5.80 ms" in capsys.readouterr().out


def test_figures_are_drawn_and_the_cdf_marks_p50_p90_p99_on_readable_ticks(tmp_path, monkeypatch, capsys):
    figures = []
    real_close = plots._pyplot().close

    def keep(fig):
        figures.append(fig)
        real_close(fig)

    monkeypatch.setattr(plots._pyplot(), "close", keep)
    path = report.finish(_report(), RunOptions(url="http://127.0.0.1:8080", out=str(tmp_path)))
    written = json.loads(path.read_text())["plots"]
    assert sorted(name.rsplit("/", 1)[-1] for name in written) == [
        "fanout-ours-delivery-cdf.png", "fanout-ours-delivery-over-time.png"]
    assert all((tmp_path / name.rsplit("/", 1)[-1]).stat().st_size > 1000 for name in written)
    cdf = next(fig for fig in figures if "CDF" in fig.axes[0].get_title()).axes[0]
    marks = {text.get_text() for text in cdf.texts}
    assert {"p50 3.1 ms", "p90 4.4 ms", "p99 5.8 ms"} <= marks
    cdf.figure.canvas.draw()
    low, high = cdf.get_xlim()
    labelled = [tick.get_text() for tick in cdf.get_xticklabels()
                if tick.get_text() and low <= tick.get_position()[0] <= high]
    assert {"2", "3", "5"} <= set(labelled), labelled  # a 3 ms p50 can be read off the axis


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_help_gives_every_default():
    for name, sub in _subparsers(cli.parser()).items():
        text = sub.format_help()
        formatter = sub._get_formatter()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction) or not action.option_strings or action.required:
                continue
            shown = formatter._get_help_string(action) or ""
            assert "default" in shown, f"chat-loadtest {name} {action.option_strings[0]}: no default in its help"
        assert "(default: " in text
