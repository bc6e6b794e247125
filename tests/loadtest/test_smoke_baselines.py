"""Each scenario, briefly, against the python-socketio baseline (fan-out and bursts against Node's too)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.baselines import launch
from loadtest.options import RunOptions
from loadtest.scenarios.burst import BurstOptions, burst
from loadtest.scenarios.capacity import CapacityOptions, capacity
from loadtest.scenarios.connect import ConnectOptions, connect
from loadtest.scenarios.dm import DmOptions, dm
from loadtest.scenarios.fanout import FanoutOptions, fanout

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def python_baseline():
    running = launch.start("python")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def node_baseline():
    if shutil.which("npm") is None:
        pytest.skip("Node and npm are needed for the Node baseline")
    try:
        running = launch.start("node")
    except (launch.BaselineError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"the Node baseline could not start: {exc}")
    yield running
    running.stop()


def options(server: launch.Running, out: Path, target: str = "python") -> RunOptions:
    return RunOptions(url=server.url, target=target, out=str(out), server_pids=[server.pid], quiet=True)


def test_fanout_from_the_command_line(python_baseline, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "loadtest", "fanout", "--url", python_baseline.url, "--target", "python",
         "--clients", "20", "--channels", "4", "--senders", "4", "--rate", "20", "--duration", "2",
         "--server-pid", str(python_baseline.pid), "--out", str(tmp_path), "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lost / duplicated / out of order  0 / 0 / 0" in done.stdout
    assert "fanout [" in done.stderr  # the progress bar
    report = json.loads((tmp_path / "fanout-python.json").read_text())
    results = report["results"]
    assert results["accounting"]["expected"] == results["accounting"]["delivered"] == 40 * 5
    assert results["latencyMs"]["p99"] > 0 and results["server"]["cpuSeconds"] >= 0
    assert len(results["latencyBySecond"]) >= 2
    for name in ("fanout-python-delivery-over-time.png", "fanout-python-delivery-cdf.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_capacity_steps_up_until_the_bound(python_baseline, tmp_path):
    traffic = FanoutOptions(clients=20, channels=4, senders=4, rate=20, duration=1.0, drain=2.0)
    doc = await capacity(options(python_baseline, tmp_path),
                         CapacityOptions(traffic, factor=2.0, max_steps=2, p99_bound_ms=2000, pause=0.1))
    results = doc["results"]
    assert [s["rate"] for s in results["steps"]] == [20, 40]
    assert all(s["held"] for s in results["steps"]), results["stoppedBecause"]
    assert results["maxDeliveredPerSecond"] == pytest.approx(40 * 5, rel=0.3)
    assert (tmp_path / "capacity-python-steps.png").exists()


async def test_connect_holds_idle_sockets_and_measures_memory(python_baseline, tmp_path):
    doc = await connect(options(python_baseline, tmp_path), ConnectOptions(connections=100, rate=200, hold=1.0))
    results = doc["results"]
    assert (results["connected"], results["failed"], results["alive"]) == (100, 0, 100)
    assert results["server"]["heldRssKiB"] > 0
    assert results["connectLatency"]["latencyMs"]["count"] == 100
    assert (tmp_path / "connect-python-connectLatency-cdf.png").exists()


async def test_dm_ping_pong(python_baseline, tmp_path):
    doc = await dm(options(python_baseline, tmp_path), DmOptions(pairs=10, rate=20, duration=2.0))
    results = doc["results"]
    assert results["accounting"]["clean"], results["accounting"]
    assert results["roundTrip"]["latencyMs"]["count"] >= 30
    assert results["roundTrip"]["timeouts"] == 0
    # every ping and every answer reaches both users
    assert results["accounting"]["delivered"] == 2 * results["accounting"]["sent"]
    assert (tmp_path / "dm-python-roundTrip-cdf.png").exists()


async def test_fanout_against_node(node_baseline, tmp_path):
    doc = await fanout(options(node_baseline, tmp_path, "node"),
                       FanoutOptions(clients=20, channels=4, senders=4, rate=20, duration=1.5))
    assert doc["results"]["accounting"]["clean"]
    assert doc["results"]["accounting"]["delivered"] == 30 * 5


def test_bursts_from_the_command_line(node_baseline, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "loadtest", "burst", "--url", node_baseline.url, "--target", "node",
         "--clients", "8", "--burst", "4", "--duration", "1.5", "--server-pid", str(node_baseline.pid),
         "--out", str(tmp_path), "--no-plots", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lost / duplicated / out of order  0 / 0 / 0" in done.stdout
    results = json.loads((tmp_path / "burst-node.json").read_text())["results"]
    acc, bursts = results["accounting"], results["bursts"]
    assert bursts["timeouts"] == 0 and bursts["latencyMs"]["count"] >= 2
    # every burst complete: all 8 senders' 4 messages, acked and at all 8 members
    assert acc["sent"] == acc["acked"] == bursts["latencyMs"]["count"] * 8 * 4
    assert acc["expected"] == acc["delivered"] == acc["sent"] * 8
    for key in ("deliveredPerSecond", "latencyMs", "ackLatencyMs", "server"):
        assert results[key], key
    assert results["server"]["deliveriesPerCpuSecond"] > 0
    assert all(results["latencyMs"][p] > 0 for p in ("p50", "p90", "p99"))


async def test_rooms_one_closed_loop_sender_per_channel(node_baseline, tmp_path):
    doc = await burst(options(node_baseline, tmp_path, "node"),
                      BurstOptions(clients=12, channels=3, senders=3, burst=1, duration=1.5))
    results = doc["results"]
    acc = results["accounting"]
    assert acc["clean"] and acc["errors"] == {}, acc
    assert acc["sent"] == acc["acked"] == results["bursts"]["latencyMs"]["count"] > 3
    assert acc["expected"] == acc["delivered"] == acc["sent"] * 4
