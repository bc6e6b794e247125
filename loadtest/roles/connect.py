"""Idle connections: open them at a steady rate, then hold them."""

from __future__ import annotations

from typing import Any

from loadtest.client import new_session
from loadtest.fleet import Fleet
from loadtest.plans import Connecting, ConnectPlan, Round, RoundResult


class ConnectRole:
    def __init__(self, plan: ConnectPlan) -> None:
        self.plan = plan
        self.fleet: Fleet | None = None

    async def setup(self) -> dict[str, Any]:
        self.fleet = Fleet(self.plan.url, new_session())
        return {}

    async def run(self, round_: Round) -> None:
        assert self.fleet is not None
        c = round_.connecting or Connecting(rate=100.0)
        await self.fleet.connect_all(self.plan.seats, rate=c.rate, concurrency=c.concurrency,
                                     timeout=c.timeout, start_at=round_.start_at)

    def progress(self) -> dict[str, Any]:
        assert self.fleet is not None
        s = self.fleet.stats
        return {"attempted": s.attempted, "connected": s.connected, "failed": s.failed,
                "dropped": self.fleet.dropped}

    def result(self) -> RoundResult:
        assert self.fleet is not None
        alive = sum(1 for sock in self.fleet.sockets.values() if sock.connected)
        return RoundResult(extra={"connect": self.fleet.stats, "dropped": self.fleet.dropped,
                                  "alive": alive})

    async def close(self) -> None:
        if self.fleet is not None:
            await self.fleet.close()
            await self.fleet.session.close()
