"""The signed-in user's own account and devices, and public profiles."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import access
from chatserver.actions.context import Principal, Services
from chatserver.errors import not_found
from chatserver.schemas.accounts import Me, MeUpdateIn, PublicUser, SessionList, SessionOut
from chatserver.store import connections, sessions, users


async def get_me(svc: Services, principal: Principal) -> Me:
    async with svc.db.connection() as conn:
        return Me.from_row(await users.by_id(conn, principal.user_id))


async def update_me(svc: Services, principal: Principal, body: MeUpdateIn) -> Me:
    changes = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_me") as conn:
        user = await users.update(conn, principal.user_id, changes)
    return Me.from_row(user)


async def get_user(svc: Services, principal: Principal, user_id: UUID) -> PublicUser:
    """A person's public profile; to someone they blocked or who blocked them, they do not exist."""
    async with svc.db.connection() as conn:
        user = await access.active_user(conn, user_id)
        if await connections.is_blocked(conn, principal.user_id, user_id):
            raise not_found("user")
        return PublicUser.from_row(user)


async def list_sessions(svc: Services, principal: Principal) -> SessionList:
    async with svc.db.connection() as conn:
        rows = await sessions.live_for_user(conn, principal.user_id)
    return SessionList(items=[
        SessionOut.from_row(row, current=row["id"] == principal.session_id) for row in rows
    ])
