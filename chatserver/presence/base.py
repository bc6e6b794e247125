"""The presence and typing interfaces."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

IDLE_AFTER_SECONDS = 300  # ONLINE turns AWAY after 5 minutes without activity
TYPING_EXPIRES_SECONDS = 6.0


@dataclass(frozen=True, slots=True)
class PresenceState:
    status: str  # ONLINE AWAY BUSY (OFFLINE users have no state)
    status_text: str | None
    last_active_at: float  # unix time


class PresenceTracker(Protocol):
    async def start(self, on_offline: Callable[[list[UUID]], Awaitable[None]]) -> None:
        """Begin; `on_offline` announces users whose sockets vanished with a dead process."""

    async def release(self) -> None:
        """Give up this process's sockets (clean shutdown) and announce, through `on_offline`,
        the users left with no socket anywhere."""

    async def close(self) -> None: ...

    async def connect(self, user_id: UUID, sid: str) -> bool:
        """Register a socket; True when the user was offline until now."""

    async def disconnect(self, user_id: UUID, sid: str) -> bool:
        """Forget a socket; True when it was the user's last one."""

    async def touch(self, user_id: UUID) -> bool:
        """Record activity; True when it brought an idle (automatically AWAY) user back ONLINE."""

    async def set_status(self, user_id: UUID, status: str, status_text: str | None) -> PresenceState | None:
        """Set a chosen status; None when the user has no connected socket."""

    async def states(self, user_ids: list[UUID]) -> dict[UUID, PresenceState]:
        """The state of each connected user among `user_ids`; the rest are offline."""

    async def go_idle(self, now: float) -> list[UUID]:
        """Turn ONLINE users idle past the limit AWAY; return them."""


class TypingTracker(Protocol):
    async def start(self, room: str, user_id: UUID, now: float) -> bool:
        """Mark the user typing in `room` until now + expiry; True when they were not typing before."""

    async def stop(self, room: str, user_id: UUID) -> bool:
        """True when the user was typing."""

    async def expired(self, now: float) -> list[tuple[str, UUID]]:
        """Remove and return the (room, user) pairs whose typing ran out."""
