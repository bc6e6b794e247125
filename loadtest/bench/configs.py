"""The standard configurations, at full size or scaled down, and the command behind each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from loadtest.options import RunOptions
from loadtest.scenarios.burst import BurstOptions, burst
from loadtest.scenarios.capacity import CapacityOptions, capacity
from loadtest.scenarios.connect import ConnectOptions, connect
from loadtest.scenarios.dm import DmOptions, dm
from loadtest.scenarios.fanout import FanoutOptions, fanout


@dataclass
class Config:
    name: str
    title: str  # what it is, for the docs
    args: list[str]  # chat-loadtest arguments after the scenario name
    run: Callable[[RunOptions], Awaitable[dict[str, Any]]]
    scenario: str = ""  # the chat-loadtest scenario; default: the group

    def __post_init__(self) -> None:
        self.scenario = self.scenario or self.group

    @property
    def group(self) -> str:
        """The name up to a "-": `--only rooms` runs rooms and rooms-1000."""
        return self.name.split("-")[0]

    def command(self, url: str = "URL", target: str = "ours") -> str:
        return " ".join(["chat-loadtest", self.scenario, "--url", url, "--target", target, *self.args])


def _scaled(n: int, scale: float, floor: int) -> int:
    return max(floor, round(n * scale))


def _rooms(total: int, channels: int, scale: float, seconds: float) -> Config:
    """Channels of 100 (at scale 1), one sender in each, closed loop: each message is sent once
    the last one was acked and reached every member."""
    clients = _scaled(total, scale, 2 * channels)
    opts = BurstOptions(clients, channels, channels, 1, seconds)
    return Config("rooms" if total == 300 else f"rooms-{total}",
                  f"{clients:,} clients in {channels} channels of {clients // channels:,}, one sender in each "
                  f"sending its next message as soon as the last one reached everyone, for {seconds:.0f} s",
                  ["--clients", str(clients), "--channels", str(channels), "--senders", str(channels),
                   "--burst", "1", "--duration", f"{seconds:g}"],
                  lambda run: burst(run, opts), scenario="burst")


def standard(scale: float = 1.0, duration: float | None = None) -> list[Config]:
    """At scale 1: 1,000 clients in 10 channels of 100; 5,000 idle connections; 200 DM pairs;
    32 clients bursting in one channel; 300 and 1,000 clients in rooms of 100."""
    clients = _scaled(1000, scale, 20)
    senders = max(2, clients // 10)
    rate = 100.0  # msgs/s in all: 10,000 deliveries/s at full size
    seconds = duration or 30.0
    step = duration or 10.0
    connections = _scaled(5000, scale, 50)
    pairs = _scaled(200, scale, 4)
    fan = FanoutOptions(clients, 10, senders, rate, seconds)
    ramp = FanoutOptions(clients, 10, senders, 50.0, step)
    conn = ConnectOptions(connections, 500.0, 10.0, accounts=min(connections, 100))
    lean = replace(conn, ready_presence="none")
    direct = DmOptions(pairs, float(pairs), seconds)
    per_channel = clients // 10
    crowd = _scaled(32, scale, 4)
    bursts = BurstOptions(crowd, 1, crowd, 16, seconds)
    return [
        Config("fanout", f"{clients:,} clients in 10 channels of {per_channel:,}; {senders} of them send "
                         f"{rate:.0f} msgs/s in all ({rate * per_channel:,.0f} deliveries/s) for {seconds:.0f} s",
               ["--clients", str(clients), "--channels", "10", "--senders", str(senders),
                "--rate", f"{rate:g}", "--duration", f"{seconds:g}"],
               lambda run: fanout(run, fan)),
        Config("capacity", f"the same {clients:,} clients; from 50 msgs/s, x1.5 every {step:.0f} s step, "
                           f"until p99 passes 100 ms or anything is lost",
               ["--clients", str(clients), "--channels", "10", "--senders", str(senders),
                "--start-rate", "50", "--factor", "1.5", "--step-duration", f"{step:g}", "--p99-bound", "100"],
               lambda run: capacity(run, CapacityOptions(ramp, 1.5, 12, 100.0))),
        Config("connect", f"{connections:,} idle connections opened at 500/s and held 10 s "
                          f"(ours: over {conn.accounts} accounts, as devices)",
               ["--connections", str(connections), "--rate", "500", "--hold", "10",
                "--accounts", str(conn.accounts)],
               lambda run: connect(run, conn)),
        Config("connect-lean", f"the same {connections:,} connections asking for `ready` without everyone's presence "
                               f"(ours: `auth.presence: \"none\"`, for clients that ask with presence:get)",
               ["--connections", str(connections), "--rate", "500", "--hold", "10",
                "--accounts", str(conn.accounts), "--ready-presence", "none"],
               lambda run: connect(run, lean)),
        Config("dm", f"{pairs} pairs ping-ponging direct messages, one round trip per pair per second, "
                     f"for {seconds:.0f} s",
               ["--pairs", str(pairs), "--rate", f"{pairs:g}", "--duration", f"{seconds:g}"],
               lambda run: dm(run, direct)),
        Config("burst", f"{crowd} clients in one channel, each sending 16 messages at once, the next 16 as soon "
                        f"as all {crowd * 16} reached everyone, for {seconds:.0f} s",
               ["--clients", str(crowd), "--burst", "16", "--duration", f"{seconds:g}"],
               lambda run: burst(run, bursts)),
        _rooms(300, 3, scale, seconds),
        _rooms(1000, 10, scale, seconds),
    ]
