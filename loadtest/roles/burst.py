"""Bursts, closed loop: in each channel every sender sends `burst` messages at once, and the
channel's next burst starts as soon as every one of them is acked and has reached every
member, or when the burst's time (`rtt_timeout`) is up.

The fan-out role's clients, sends and accounting, with another schedule. The scenario keeps
all of a channel's members in one load process, so a process knows on its own when a burst
is complete.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

from loadtest.content import Tag
from loadtest.histogram import Histogram
from loadtest.plans import FanoutPlan, Round, RoundResult
from loadtest.roles.fanout import FanoutRole


@dataclass
class Burst:
    """One channel's burst in flight."""

    tag: str  # "<round>.<number>", written into its messages: tells them from an earlier burst's
    acks: int  # sends not answered yet
    deliveries: int  # first deliveries still to come
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def settle(self) -> None:
        if self.acks <= 0 and self.deliveries <= 0:
            self.complete.set()


class BurstRole(FanoutRole):
    def __init__(self, plan: FanoutPlan) -> None:
        super().__init__(plan)
        self.members = Counter(plan.channel_of[seat.index] for seat in plan.seats)
        self.bursts: dict[int, Burst] = {}  # channel number -> its burst in flight
        self.times: dict[int, Histogram] = {}  # burst times, by the second the burst started in
        self.timeouts = 0

    async def run(self, round_: Round) -> None:
        self.bursts, self.times, self.timeouts = {}, {}, 0
        senders = await self._begin(round_)
        by_channel: dict[int, list[int]] = {}
        for sender in senders:
            by_channel.setdefault(self.plan.channel_of[sender], []).append(sender)
        if round_.burst > 0:
            await asyncio.gather(*(self._loop(channel, mine, round_) for channel, mine in by_channel.items()))

    async def _loop(self, channel: int, senders: list[int], round_: Round) -> None:
        end, number = round_.start_at + round_.duration, 0
        while (started := time.monotonic()) < end:
            sends = len(senders) * round_.burst
            burst = self.bursts[channel] = Burst(f"{round_.round_id}.{number}", sends, sends * self.members[channel])
            for _ in range(round_.burst):  # each sender's k-th message, then each one's k+1-th...
                for sender in senders:
                    await self._send(sender, round_, burst.tag)
            try:
                await asyncio.wait_for(burst.complete.wait(), round_.rtt_timeout)
            except TimeoutError:
                self.timeouts += 1
            second = int(started - round_.start_at)
            self.times.setdefault(second, Histogram()).record((time.monotonic() - started) * 1000)
            number += 1

    def _delivered(self, stream: int, tag: Tag) -> None:
        burst = self.bursts.get(stream)
        if burst is not None and tag.extra == burst.tag:
            burst.deliveries -= 1
            burst.settle()

    def _answered(self, stream: int, extra: str, error_code: str | None) -> None:
        burst = self.bursts.get(stream)
        if burst is not None and extra == burst.tag:
            burst.acks -= 1
            if error_code is not None:  # refused: nobody is to receive it
                burst.deliveries -= self.members[stream]
            burst.settle()

    def result(self) -> RoundResult:
        result = super().result()
        result.rtt = self.times
        result.extra["rttTimeouts"] = self.timeouts
        return result
