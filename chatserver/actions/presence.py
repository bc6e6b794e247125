"""Presence: online while any socket is connected, AWAY when idle or chosen, BUSY when chosen.

Changes go to everyone who shares a workspace with the user, and to the user's own sockets.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.broker import Event, rooms
from chatserver.presence import PresenceState
from chatserver.schemas.conversations import Presence
from chatserver.store import presence as presence_store
from chatserver.store import workspaces


def _view(user_id: UUID, state: PresenceState) -> Presence:
    return Presence(user_id=user_id, status=state.status, status_text=state.status_text,
                    last_active_at=datetime.fromtimestamp(state.last_active_at, UTC))


async def _announce(svc: Services, user_id: UUID, view: Presence, workspace_ids: list[UUID] | None = None) -> None:
    """Store the state and tell the user's workspaces (`workspace_ids` when the caller knows them)."""
    async with svc.db.connection() as conn:
        await presence_store.save(conn, user_id, view.status, view.status_text)
        if workspace_ids is None:
            workspace_ids = await workspaces.ids_for_user(conn, user_id)
    audience = (rooms.user(user_id), *(rooms.workspace(workspace_id) for workspace_id in workspace_ids))
    await svc.publish(Event("presence", view.wire(), rooms=audience))


async def connected(svc: Services, user_id: UUID, sid: str, workspace_ids: list[UUID]) -> None:
    if await svc.presence.connect(user_id, sid):
        state = (await svc.presence.states([user_id]))[user_id]
        await _announce(svc, user_id, _view(user_id, state), workspace_ids)


async def disconnected(svc: Services, user_id: UUID, sid: str) -> None:
    if await svc.presence.disconnect(user_id, sid):
        await _announce(svc, user_id, _view(user_id, PresenceState("OFFLINE", None, time.time())))


async def went_offline(svc: Services, user_ids: list[UUID]) -> None:
    """Users whose sockets vanished without a goodbye (a process died or shut down) are announced
    OFFLINE, unless they came back meanwhile. Raises if an announcement could not be made, so the
    presence tracker owes it again."""
    back = await svc.presence.states(user_ids)
    for user_id in user_ids:
        if user_id not in back:
            await _announce(svc, user_id, _view(user_id, PresenceState("OFFLINE", None, time.time())))


async def active(svc: Services, user_id: UUID) -> None:
    """Any event from a user's socket: an idle user comes back ONLINE."""
    if await svc.presence.touch(user_id):
        state = (await svc.presence.states([user_id]))[user_id]
        await _announce(svc, user_id, _view(user_id, state))


async def set_status(svc: Services, principal: Principal, status: str, status_text: str | None) -> Presence:
    state = await svc.presence.set_status(principal.user_id, status, status_text)
    if state is None:  # only a socket sets presence, so this is a race with its own disconnect
        state = PresenceState("OFFLINE", None, time.time())
    view = _view(principal.user_id, state)
    await _announce(svc, principal.user_id, view)
    return view


async def idle_sweep(svc: Services) -> None:
    for user_id in await svc.presence.go_idle(time.time()):
        state = (await svc.presence.states([user_id])).get(user_id)
        if state is not None:
            await _announce(svc, user_id, _view(user_id, state))


async def of_people_around(svc: Services, conn: asyncpg.Connection, user_id: UUID) -> list[Presence]:
    """Presence of everyone sharing a workspace with the user: live where connected, last known otherwise."""
    stored = await presence_store.of_people_around(conn, user_id)
    user_ids = [row["user_id"] for row in stored]
    live = await svc.presence.states(user_ids)
    views = []
    for row in stored:
        state = live.get(row["user_id"])
        views.append(_view(row["user_id"], state) if state else Presence(
            user_id=row["user_id"], status="OFFLINE", status_text=None, last_active_at=row["last_active_at"]))
    return views
