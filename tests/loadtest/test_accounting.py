"""The harness's own accounting, against a real server that gets known deliveries wrong."""

from __future__ import annotations

from loadtest.options import RunOptions
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
