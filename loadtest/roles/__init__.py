"""What a load process does in each scenario: connect its clients, then send and receive."""

from __future__ import annotations

from typing import Any, Protocol

from loadtest.plans import Round, RoundResult


class Role(Protocol):
    async def setup(self) -> dict[str, Any]: ...

    async def run(self, round_: Round) -> None:
        """Send for the round; receiving goes on in the sockets' readers until `result`."""

    def progress(self) -> dict[str, Any]: ...

    def result(self) -> RoundResult: ...

    async def close(self) -> None: ...


def role_for(plan: Any) -> Role:
    if plan.role == "fanout":
        from loadtest.roles.fanout import FanoutRole
        return FanoutRole(plan)
    if plan.role == "burst":
        from loadtest.roles.burst import BurstRole
        return BurstRole(plan)
    if plan.role == "dm":
        from loadtest.roles.dm import DmRole
        return DmRole(plan)
    if plan.role == "connect":
        from loadtest.roles.connect import ConnectRole
        return ConnectRole(plan)
    raise ValueError(f"no role {plan.role!r}")
