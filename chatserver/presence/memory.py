"""Presence and typing for one process."""

from __future__ import annotations

import time
from uuid import UUID

from chatserver.presence.base import IDLE_AFTER_SECONDS, TYPING_EXPIRES_SECONDS, PresenceState


class MemoryPresence:
    def __init__(self) -> None:
        self._sockets: dict[UUID, set[str]] = {}
        self._chosen: dict[UUID, tuple[str, str | None]] = {}  # status the user set, and its text
        self._idle: set[UUID] = set()  # AWAY because idle, not because chosen
        self._active: dict[UUID, float] = {}
        self._on_offline = None

    async def start(self, on_offline) -> None:
        self._on_offline = on_offline  # one process: its sockets die with it, so only release() calls it

    async def release(self) -> None:
        users = list(self._sockets)
        self._sockets.clear()
        if users and self._on_offline is not None:
            await self._on_offline(users)

    async def close(self) -> None:
        return None

    async def connect(self, user_id: UUID, sid: str) -> bool:
        sockets = self._sockets.setdefault(user_id, set())
        came_online = not sockets
        sockets.add(sid)
        self._active[user_id] = time.time()
        self._idle.discard(user_id)
        return came_online

    async def disconnect(self, user_id: UUID, sid: str) -> bool:
        sockets = self._sockets.get(user_id)
        if not sockets or sid not in sockets:
            return False
        sockets.discard(sid)
        if sockets:
            return False
        del self._sockets[user_id]
        self._chosen.pop(user_id, None)
        self._idle.discard(user_id)
        return True

    async def touch(self, user_id: UUID) -> bool:
        if user_id not in self._sockets:
            return False
        self._active[user_id] = time.time()
        if user_id in self._idle:
            self._idle.discard(user_id)
            return True
        return False

    async def set_status(self, user_id: UUID, status: str, status_text: str | None) -> PresenceState | None:
        if user_id not in self._sockets:
            return None
        self._chosen[user_id] = (status, status_text)
        self._idle.discard(user_id)
        self._active[user_id] = time.time()
        return self._state(user_id)

    def _state(self, user_id: UUID) -> PresenceState:
        status, text = self._chosen.get(user_id, ("ONLINE", None))
        if user_id in self._idle:
            status = "AWAY"
        return PresenceState(status, text, self._active.get(user_id, time.time()))

    async def states(self, user_ids: list[UUID]) -> dict[UUID, PresenceState]:
        return {user_id: self._state(user_id) for user_id in user_ids if user_id in self._sockets}

    async def go_idle(self, now: float) -> list[UUID]:
        idle = [
            user_id for user_id in self._sockets
            if user_id not in self._idle and self._chosen.get(user_id, ("ONLINE",))[0] == "ONLINE"
            and now - self._active.get(user_id, now) >= IDLE_AFTER_SECONDS
        ]
        self._idle.update(idle)
        return idle


class MemoryTyping:
    def __init__(self, expires_after: float = TYPING_EXPIRES_SECONDS) -> None:
        self._until: dict[tuple[str, UUID], float] = {}
        self.expires_after = expires_after

    async def start(self, room: str, user_id: UUID, now: float) -> bool:
        was_typing = (room, user_id) in self._until
        self._until[(room, user_id)] = now + self.expires_after
        return not was_typing

    async def stop(self, room: str, user_id: UUID) -> bool:
        return self._until.pop((room, user_id), None) is not None

    async def expired(self, now: float) -> list[tuple[str, UUID]]:
        gone = [key for key, until in self._until.items() if until <= now]
        for key in gone:
            del self._until[key]
        return gone
