"""Channel fan-out: senders post at a fixed total rate; every member files what it receives."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp

from loadtest import content
from loadtest.client import LeanSocket, new_session
from loadtest.fleet import Fleet, ack_error
from loadtest.histogram import Histogram
from loadtest.ledger import Receipts, Sends
from loadtest.plans import FanoutPlan, Round, RoundResult
from loadtest.population import Seat

BURST = 64  # sends in a row, when behind schedule, before letting the readers run


class FanoutRole:
    def __init__(self, plan: FanoutPlan) -> None:
        self.plan = plan
        self.fleet: Fleet | None = None
        self.sends = Sends()
        self.receipts = Receipts(-1, 0.0)
        self.send_lag = Histogram()

    async def setup(self) -> dict[str, Any]:
        plan = self.plan
        self.fleet = Fleet(plan.url, new_session())
        c = plan.connecting
        stats = await self.fleet.connect_all(plan.seats, rate=c.rate, concurrency=c.concurrency,
                                             timeout=c.timeout, retries=c.retries, prepare=self._listen)
        answers = await self.fleet.call_each(
            (s.index, "channel:join", {"channelId": plan.channel_ids[plan.channel_of[s.index]]})
            for s in plan.seats if s.index in self.fleet.sockets)
        join_errors = Counter(code for a in answers.values() if (code := ack_error(a)) is not None)
        return {"connect": stats, "joinErrors": dict(join_errors)}

    def _listen(self, seat: Seat, sock: LeanSocket) -> None:
        index, stream = seat.index, self.plan.channel_of[seat.index]
        sock.on("message:new", lambda payload: self._on_message(index, stream, payload))

    def _on_message(self, receiver: int, stream: int, payload: Any) -> None:
        tag = self.receipts.take(receiver, stream, payload, time.monotonic())
        if tag is not None:
            self._delivered(stream, tag)

    def _delivered(self, stream: int, tag: content.Tag) -> None:
        """A message of this round reached one member for the first time (the burst role counts these)."""

    def _answered(self, stream: int, extra: str, error_code: str | None) -> None:
        """A send was acked, refused or failed (the burst role counts these)."""

    async def _begin(self, round_: Round) -> list[int]:
        """Fresh books for the round; wait for its start; the senders that are connected."""
        self.sends, self.send_lag = Sends(), Histogram()
        self.receipts = Receipts(round_.round_id, round_.start_at)
        assert self.fleet is not None
        senders = [s for s in self.plan.senders if s in self.fleet.sockets]
        await asyncio.sleep(max(0.0, round_.start_at - time.monotonic()))
        return senders

    async def run(self, round_: Round) -> None:
        senders = await self._begin(round_)
        if not senders or round_.rate <= 0:
            return
        interval, end = 1.0 / round_.rate, round_.start_at + round_.duration
        k = burst = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            due = round_.start_at + k * interval
            if due > now:
                burst = 0
                await asyncio.sleep(due - now)
                continue
            self.send_lag.record((now - due) * 1000)
            await self._send(senders[k % len(senders)], round_)
            k += 1
            burst += 1
            if burst >= BURST:
                burst = 0
                await asyncio.sleep(0)

    async def _send(self, sender: int, round_: Round, extra: str = "") -> None:
        assert self.fleet is not None
        stream = self.plan.channel_of[sender]
        sends = self.sends
        seq = sends.sent(sender, stream)
        sent_at = time.monotonic()

        def on_ack(args: list[Any] | None) -> None:
            if args is not None:  # None: the socket closed; the send stays unacknowledged
                code = ack_error(args[0] if args else None)
                sends.acked(sender, seq, stream, code, (time.monotonic() - sent_at) * 1000)
                self._answered(stream, extra, code)

        body = {"channelId": self.plan.channel_ids[stream],
                "content": content.make(round_.round_id, sender, seq, sent_at, extra, round_.size),
                "nonce": f"{self.plan.run_tag}-{round_.round_id}-{sender}-{seq}"}
        try:
            await self.fleet.sockets[sender].emit("message:send", body, callback=on_ack)
        except (ConnectionResetError, aiohttp.ClientError, OSError):
            sends.acked(sender, seq, stream, "send-failed", 0.0)
            self._answered(stream, extra, "send-failed")

    def progress(self) -> dict[str, Any]:
        return {"sent": self.sends.count, "distinct": self.receipts.distinct,
                "repeats": self.receipts.repeats, "live": dict(self.sends.live_per_stream),
                "dropped": self.fleet.dropped if self.fleet else 0}

    def result(self) -> RoundResult:
        return RoundResult(self.sends, self.receipts.trimmed(), self.send_lag,
                           extra={"dropped": self.fleet.dropped if self.fleet else 0})

    async def close(self) -> None:
        if self.fleet is not None:
            await self.fleet.close()
            await self.fleet.session.close()
