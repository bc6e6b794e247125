"""The harness's own accounting, against a real server that gets known deliveries wrong."""

from __future__ import annotations

from loadtest.options import RunOptions
from loadtest.scenarios.burst import BurstOptions, burst
from loadtest.scenarios.fanout import FanoutOptions, fanout
from tests.loadtest.faulty import Faults, faulty_server
from tests.loadtest.sioapp import serving

# 6 clients in 2 channels, 2 senders at 20 msgs/s for 2 s: 40 sends, 3 members each.
TRAFFIC = dict(clients=6, channels=2, senders=2, rate=20.0, duration=2.0, drain=1.0)


async def run_against(faults: Faults, tmp_path) -> dict:
    async with serving(faulty_server(faults)) as url:
        run = RunOptions(url=url, target="python", out=str(tmp_path), quiet=True, plots=False)
        doc = await fanout(run, FanoutOptions(**TRAFFIC))
    return doc["results"]["accounting"]


async def test_counts_exactly_the_lost_duplicated_and_reordered_deliveries(tmp_path):
    faults = Faults(drop=5, duplicate=10, swap=15)
    acc = await run_against(faults, tmp_path)
    assert len(faults.log) == 3, faults.log
    assert acc["sent"] == acc["acked"] == 40
    assert acc["expected"] == 40 * 3
    assert (acc["lost"], acc["duplicated"], acc["out_of_order"]) == (1, 1, 1), (acc, faults.log)
    assert acc["delivered"] == acc["expected"] - 1
    assert acc["unexpected"] == 0
    assert not acc["clean"]


async def test_a_faithful_server_gives_a_clean_account(tmp_path):
    acc = await run_against(Faults(), tmp_path)
    assert acc["expected"] == acc["delivered"] == 120
    assert acc["clean"], acc


async def test_a_burst_missing_a_delivery_is_given_up_and_the_loop_goes_on(tmp_path):
    # One sender in a channel of 3, one message per burst (the faulty server is only exact when
    # sends do not overlap): send 5's delivery to one member is dropped, and send 15's is held
    # until the next send, which waits for the burst: both bursts give up after the drain.
    faults = Faults(drop=5, duplicate=8, swap=15)
    async with serving(faulty_server(faults)) as url:
        run = RunOptions(url=url, target="python", out=str(tmp_path), quiet=True, plots=False)
        doc = await burst(run, BurstOptions(clients=3, senders=1, burst=1, duration=1.5, drain=0.4))
    results = doc["results"]
    acc, bursts = results["accounting"], results["bursts"]
    assert len(faults.log) == 3, faults.log
    assert bursts["timeouts"] == 2
    # A given-up burst lasted the drain (0.4 s), give or take the clocks' granularity.
    assert bursts["latencyMs"]["count"] > 16 and bursts["latencyMs"]["max"] >= 390
    assert (acc["lost"], acc["duplicated"], acc["out_of_order"]) == (1, 1, 1), (acc, faults.log)
    assert acc["sent"] == acc["acked"] == bursts["latencyMs"]["count"]
    assert acc["delivered"] == acc["expected"] - 1 == acc["sent"] * 3 - 1
