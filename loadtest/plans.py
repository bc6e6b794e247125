"""What the coordinator hands each load process: its share of the clients, and each round.

Plain dataclasses, pickled over a pipe to processes started with "spawn".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadtest.histogram import Histogram
from loadtest.ledger import Receipts, Sends
from loadtest.population import Seat


@dataclass
class Connecting:
    rate: float  # this process's share of the connect rate, per second
    concurrency: int = 200
    timeout: float = 20.0
    retries: int = 0  # setup: try a failed connection again; the connect scenario: never


@dataclass
class FanoutPlan:
    url: str
    run_tag: str
    seats: list[Seat]
    channel_ids: list[str]
    channel_of: dict[int, int]  # seat index -> channel number
    senders: list[int]  # seat indexes of this process's senders
    connecting: Connecting
    role: str = "fanout"  # or "burst": the same clients, closed loop


@dataclass
class DmPlan:
    url: str
    run_tag: str
    pairs: list[tuple[int, Seat, Seat]]  # (pair number, the one who pings, the one who answers)
    connecting: Connecting
    role: str = "dm"


@dataclass
class ConnectPlan:
    url: str
    seats: list[Seat]
    role: str = "connect"


@dataclass
class Round:
    round_id: int
    start_at: float  # time.monotonic(): one clock for every process on the machine
    duration: float
    rate: float  # this process's share: messages (fanout) or round trips (dm) per second
    size: int = 0  # content length to pad to
    rtt_timeout: float = 5.0  # dm: how long a ping waits for its answer; burst: a burst for all its deliveries
    burst: int = 0  # burst: messages each sender sends at once, the next burst once all are in
    connecting: Connecting | None = None  # the connect scenario: how fast to open the sockets


@dataclass
class RoundResult:
    sends: Sends = field(default_factory=Sends)
    receipts: Receipts = field(default_factory=lambda: Receipts(-1, 0.0))
    send_lag: Histogram = field(default_factory=Histogram)  # how late sends left against schedule
    rtt: dict[int, Histogram] = field(default_factory=dict)  # dm: round trips by second sent
    extra: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
