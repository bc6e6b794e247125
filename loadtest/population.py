"""Who takes part in a run: the users the clients connect as, and the channels they use.

For our server these are real accounts and channels made over the HTTP API (see
`ours_setup`); the baselines accept any auth, so their users and channels are made up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

TARGETS = ("ours", "node", "python")


@dataclass(frozen=True)
class Seat:
    """One client: its place in the run, the user it is, and what it sends as CONNECT auth."""

    index: int
    user_id: str
    auth: dict[str, Any]


@dataclass
class Population:
    seats: list[Seat]
    channel_ids: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)


def made_up(users: int, channels: int) -> Population:
    """Users and channels for a baseline server: it takes the token as the user id."""
    seats = []
    for index in range(users):
        user_id = str(uuid.uuid4())
        seats.append(Seat(index, user_id, {"token": user_id}))
    return Population(seats, [str(uuid.uuid4()) for _ in range(channels)])


async def release(target: str, url: str, population: Population, *, log=None) -> None:
    """Undo the setup where it left state behind: on ours, delete the run's workspace (and with
    it its channels and memberships), so that reused accounts do not carry it into later runs."""
    if target == "ours" and population.notes.get("workspaceId"):
        from loadtest.ours_setup import delete_workspace

        await delete_workspace(url, population.notes, log=log)


async def prepare(target: str, url: str, users: int, channels: int, *, concurrency: int = 4,
                  accounts_cache: str | None = None, log=None) -> Population:
    if target == "ours":
        from loadtest.ours_setup import prepare_ours

        return await prepare_ours(url, users, channels, concurrency=concurrency,
                                  accounts_cache=accounts_cache, log=log)
    if target in TARGETS:
        return made_up(users, channels)
    raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
