"""Presence: online while any socket is connected, AWAY when idle or chosen, BUSY when chosen.

The tracker (svc.presence) decides when a user's presence changes: a first socket, a last one gone,
activity after idling, the idle timer, a chosen status, the sockets of a dead or stopped process.
Each of those is told by `announce`, the one function that stores a presence and sends it to
everyone who shares a workspace with the user, and to the user's own sockets.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.presence import PresenceState
from chatserver.schemas.conversations import Presence, PresenceGetIn, PresenceList
from chatserver.schemas.events import PRESENCE
from chatserver.store import presence as presence_store
from chatserver.store import workspaces


def _view(user_id: UUID, state: PresenceState | None) -> Presence:
    state = state or PresenceState("OFFLINE", None, time.time())
    return Presence(user_id=user_id, status=state.status, status_text=state.status_text,
                    last_active_at=datetime.fromtimestamp(state.last_active_at, UTC))


async def announce(svc: Services, states: Mapping[UUID, PresenceState | None], *,
                   workspace_ids: list[UUID] | None = None) -> list[Presence]:
    """Store and tell each user's presence (None: OFFLINE), to their workspaces (`workspace_ids`,
    when the caller knows those of its one user) and their own sockets. Raises if one could not be
    stored, so that a caller who owes the announcement (the tracker's reaper) makes it again."""
    views = []
    for user_id, state in states.items():
        view = _view(user_id, state)
        async with svc.db.connection() as conn:
            await presence_store.save(conn, user_id, view.status, view.status_text)
            audience_ids = workspace_ids if workspace_ids is not None else await workspaces.ids_for_user(conn, user_id)
        await svc.publish(PRESENCE.to((rooms.user(user_id), *map(rooms.workspace, audience_ids)), view))
        views.append(view)
    return views


async def connected(svc: Services, user_id: UUID, sid: str, workspace_ids: list[UUID]) -> None:
    if await svc.presence.connect(user_id, sid):
        await announce(svc, await svc.presence.states([user_id]), workspace_ids=workspace_ids)


async def disconnected(svc: Services, user_id: UUID, sid: str) -> None:
    if await svc.presence.disconnect(user_id, sid):
        await announce(svc, {user_id: None})


async def went_offline(svc: Services, user_ids: list[UUID]) -> None:
    """The tracker's `on_offline`: users whose sockets vanished without a goodbye (a process died or
    shut down) are announced OFFLINE, unless they came back meanwhile (then nothing changed for
    anyone). Raises if an announcement could not be made, so the tracker owes it again."""
    back = await svc.presence.states(user_ids)
    await announce(svc, {user_id: None for user_id in user_ids if user_id not in back})


async def active(svc: Services, user_id: UUID) -> None:
    """Any event from a user's socket: an idle user comes back ONLINE."""
    if await svc.presence.touch(user_id):
        await announce(svc, await svc.presence.states([user_id]))


async def set_status(svc: Services, principal: Principal, status: str, status_text: str | None) -> Presence:
    # None only in a race with the socket's own disconnect (only a socket sets presence): OFFLINE
    state = await svc.presence.set_status(principal.user_id, status, status_text)
    return (await announce(svc, {principal.user_id: state}))[0]


async def idle_sweep(svc: Services) -> None:
    """Users idle past the limit turn AWAY; one who disconnected meanwhile was told OFFLINE already."""
    idle = await svc.presence.go_idle(time.time())
    if idle:
        await announce(svc, await svc.presence.states(idle))


async def of_people(svc: Services, principal: Principal, body: PresenceGetIn) -> PresenceList:
    """`presence:get`: the presence of the people named who share a workspace with the caller (the
    others are left out, as their changes are never sent to the caller either)."""
    async with svc.db.connection() as conn:
        stored = await presence_store.of_people_named(conn, principal.user_id, body.user_ids)
    return PresenceList(presence=await _views(svc, stored))


async def of_people_near(svc: Services, conn: asyncpg.Connection, user_id: UUID) -> tuple[list[Presence], bool]:
    """What `ready` carries: the presence of the user, their direct conversation partners and channel-mates
    (at most READY_PRESENCE_LIMIT of them), and whether that is everyone sharing a workspace with the user
    (when not, the client asks `presence:get` for the others it shows)."""
    stored, complete = await presence_store.of_people_near(conn, user_id, svc.settings.ready_presence_limit)
    return await _views(svc, stored), complete


async def _views(svc: Services, stored: Sequence[asyncpg.Record]) -> list[Presence]:
    """Stored presences, live where connected, last known otherwise."""
    user_ids = [row["user_id"] for row in stored]
    live = await svc.presence.states(user_ids)
    views = []
    for row in stored:
        state = live.get(row["user_id"])
        views.append(_view(row["user_id"], state) if state else Presence(
            user_id=row["user_id"], status="OFFLINE", status_text=None, last_active_at=row["last_active_at"]))
    return views
