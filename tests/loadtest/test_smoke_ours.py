"""Fan-out, bursts and DM ping-pong against our real server: accounts, a workspace and channels made
over HTTP, sockets authenticated with real access tokens, messages stored in PostgreSQL."""

from __future__ import annotations

import json

import pytest

from loadtest.options import RunOptions
from loadtest.scenarios.burst import BurstOptions, burst
from loadtest.scenarios.dm import DmOptions, dm
from loadtest.scenarios.fanout import FanoutOptions, fanout


def options(server, tmp_path) -> RunOptions:
    return RunOptions(url=server.url, target="ours", out=str(tmp_path), quiet=True, plots=False,
                      accounts_cache=str(tmp_path / "accounts.json"))


async def test_fanout_against_our_server(server, tmp_path):
    doc = await fanout(options(server, tmp_path),
                       FanoutOptions(clients=6, channels=2, senders=2, rate=8, duration=2.0))
    acc = doc["results"]["accounting"]
    assert acc["errors"] == {}
    assert acc["sent"] == acc["acked"] == 16
    assert acc["expected"] == acc["delivered"] == 16 * 3
    assert acc["clean"], acc
    # the run's workspace is gone, so that reused accounts start the next run clean
    owner = json.loads((tmp_path / "accounts.json").read_text())[server.url][0]
    mine = await server.request("GET", "/api/v1/workspaces", token=owner["accessToken"])
    assert mine.status == 200 and mine.body["items"] == [], mine.body


async def test_dm_against_our_server(server, tmp_path):
    doc = await dm(options(server, tmp_path), DmOptions(pairs=3, rate=6, duration=2.0))
    results = doc["results"]
    assert results["accounting"]["errors"] == {}
    assert results["accounting"]["clean"], results["accounting"]
    assert results["roundTrip"]["latencyMs"]["count"] >= 9


@pytest.mark.settings(RATE_LIMIT_SEND="1000000/1")  # bursts outrun a person's limit, as they should
async def test_bursts_against_our_server(server, tmp_path):
    doc = await burst(options(server, tmp_path), BurstOptions(clients=4, burst=4, duration=1.5))
    results = doc["results"]
    acc = results["accounting"]
    assert acc["errors"] == {} and acc["clean"], acc
    assert results["bursts"]["timeouts"] == 0
    bursts = results["bursts"]["latencyMs"]["count"]
    assert bursts >= 2 and acc["sent"] == acc["acked"] == bursts * 4 * 4
    assert acc["expected"] == acc["delivered"] == acc["sent"] * 4
    assert results["deliveredPerSecond"] > 0 and results["latencyMs"]["p90"] > 0
