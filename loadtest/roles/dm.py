"""Direct-message ping-pong: in each pair one user pings, the other answers on receipt.

Both users of a pair live in the same process, so the answer is sent from the handler that
received the ping, and the round trip is measured on one clock with no coordination.
Every dm:new must reach both users of the conversation exactly once, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from loadtest import content
from loadtest.client import LeanSocket, new_session
from loadtest.fleet import Fleet, ack_error
from loadtest.histogram import Histogram
from loadtest.ledger import Receipts, Sends
from loadtest.plans import DmPlan, Round, RoundResult
from loadtest.population import Seat

PING, PONG = "ping", "pong"


@dataclass
class Pair:
    number: int
    pinger: Seat
    answerer: Seat
    conversation_id: str = ""
    waiting_for: int = -1  # the seq of the ping whose answer the pinger waits for
    pinged_at: float = 0.0
    answered: asyncio.Event = field(default_factory=asyncio.Event)


class DmRole:
    def __init__(self, plan: DmPlan) -> None:
        self.plan = plan
        self.fleet: Fleet | None = None
        self.pairs = {number: Pair(number, a, b) for number, a, b in plan.pairs}
        self.pair_of = {seat.index: number for number, a, b in plan.pairs for seat in (a, b)}
        self.sends = Sends()
        self.receipts = Receipts(-1, 0.0)
        self.rtt: dict[int, Histogram] = {}
        self.timeouts = 0
        self.round: Round | None = None
        self._answers: set[asyncio.Task[None]] = set()

    async def setup(self) -> dict[str, Any]:
        self.fleet = Fleet(self.plan.url, new_session())
        c = self.plan.connecting
        seats = [seat for _, a, b in self.plan.pairs for seat in (a, b)]
        stats = await self.fleet.connect_all(seats, rate=c.rate, concurrency=c.concurrency,
                                             timeout=c.timeout, retries=c.retries, prepare=self._listen)
        answers = await self.fleet.call_each(
            (p.pinger.index, "dm:open", {"userId": p.answerer.user_id}) for p in self.pairs.values()
            if p.pinger.index in self.fleet.sockets and p.answerer.index in self.fleet.sockets)
        errors: Counter[str] = Counter()
        for pair in self.pairs.values():
            answer = answers.get(pair.pinger.index)
            if (code := ack_error(answer)) is not None:
                errors[code] += 1
                continue
            pair.conversation_id = answer["data"]["conversation"]["id"]
        return {"connect": stats, "openErrors": dict(errors)}

    def _listen(self, seat: Seat, sock: LeanSocket) -> None:
        index, pair = seat.index, self.pair_of[seat.index]
        sock.on("dm:new", lambda payload: self._on_dm(index, pair, payload))

    def _on_dm(self, receiver: int, number: int, payload: Any) -> None:
        now = time.monotonic()
        tag = self.receipts.take(receiver, number, payload, now)
        pair = self.pairs[number]
        if tag is None:
            return
        if receiver == pair.answerer.index and tag.sender == pair.pinger.index and tag.extra == PING:
            task = asyncio.ensure_future(self._send(pair.answerer.index, pair, f"{PONG}{tag.seq}"))
            self._answers.add(task)
            task.add_done_callback(self._answers.discard)
        elif (receiver == pair.pinger.index and tag.sender == pair.answerer.index
              and tag.extra == f"{PONG}{pair.waiting_for}"):
            second = int(pair.pinged_at - self.receipts.t0)
            self.rtt.setdefault(second, Histogram()).record((now - pair.pinged_at) * 1000)
            pair.answered.set()

    async def _send(self, sender: int, pair: Pair, extra: str) -> None:
        assert self.fleet is not None and self.round is not None
        sends, round_id = self.sends, self.round.round_id
        seq = sends.sent(sender, pair.number)
        sent_at = time.monotonic()
        if extra == PING:  # before the emit: the answer may be read while the emit still awaits
            pair.waiting_for, pair.pinged_at = seq, sent_at

        def on_ack(args: list[Any] | None) -> None:
            if args is not None:
                sends.acked(sender, seq, pair.number, ack_error(args[0] if args else None),
                            (time.monotonic() - sent_at) * 1000)

        body = {"conversationId": pair.conversation_id,
                "content": content.make(round_id, sender, seq, sent_at, extra, self.round.size),
                "nonce": f"{self.plan.run_tag}-{round_id}-{sender}-{seq}"}
        try:
            await self.fleet.sockets[sender].emit("dm:send", body, callback=on_ack)
        except (ConnectionResetError, aiohttp.ClientError, OSError, KeyError):
            sends.acked(sender, seq, pair.number, "send-failed", 0.0)

    async def run(self, round_: Round) -> None:
        self.round = round_
        self.sends, self.rtt, self.timeouts = Sends(), {}, 0
        self.receipts = Receipts(round_.round_id, round_.start_at)
        ready = [p for p in self.pairs.values() if p.conversation_id]
        if not ready or round_.rate <= 0:
            return
        interval = len(ready) / round_.rate  # each pair's time between pings
        await asyncio.gather(*(self._ping_loop(pair, round_, interval * i / len(ready), interval)
                               for i, pair in enumerate(ready)))

    async def _ping_loop(self, pair: Pair, round_: Round, offset: float, interval: float) -> None:
        due, end = round_.start_at + offset, round_.start_at + round_.duration
        while True:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if time.monotonic() >= end:
                return
            pair.answered.clear()
            await self._send(pair.pinger.index, pair, PING)
            try:
                await asyncio.wait_for(pair.answered.wait(), round_.rtt_timeout)
            except TimeoutError:
                self.timeouts += 1
            due = max(due + interval, time.monotonic())

    def progress(self) -> dict[str, Any]:
        return {"sent": self.sends.count, "distinct": self.receipts.distinct,
                "repeats": self.receipts.repeats, "live": dict(self.sends.live_per_stream),
                "dropped": self.fleet.dropped if self.fleet else 0}

    def result(self) -> RoundResult:
        return RoundResult(self.sends, self.receipts.trimmed(), rtt=self.rtt,
                           extra={"rttTimeouts": self.timeouts,
                                  "dropped": self.fleet.dropped if self.fleet else 0})

    async def close(self) -> None:
        if self.fleet is not None:
            await self.fleet.close()
            await self.fleet.session.close()
