"""Workspaces: create, join by invite code, manage members and roles."""

from __future__ import annotations

import re
import secrets
from uuid import UUID

from chatserver.actions import access
from chatserver.actions.access import RANK, at_least
from chatserver.actions.context import Principal, Services
from chatserver.broker import Event, rooms
from chatserver.broker.control import move_rooms
from chatserver.errors import conflict, forbidden, not_found
from chatserver.schemas.pagination import decode_cursor, encode_cursor, page
from chatserver.schemas.workspaces import (
    JoinWorkspaceIn,
    Member,
    MemberList,
    Workspace,
    WorkspaceCreateIn,
    WorkspaceList,
    WorkspaceUpdateIn,
)
from chatserver.store import workspaces


def workspace_view(row) -> Workspace:
    """The invite code is for those who may invite: OWNER and ADMIN."""
    invite_code = row["invite_code"] if at_least(row["role"], "ADMIN") else None
    return Workspace.from_row(row, invite_code=invite_code)


def _slug_from(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "workspace"
    return f"{slug}-{secrets.token_hex(3)}" if len(slug) < 2 else slug


async def create(svc: Services, principal: Principal, body: WorkspaceCreateIn) -> Workspace:
    slug = body.slug or _slug_from(body.name)
    for attempt in range(3):
        try:
            async with svc.db.transaction("create_workspace") as conn:
                row = await workspaces.create(conn, name=body.name, slug=slug, description=body.description,
                                              is_public=body.is_public, owner_id=principal.user_id,
                                              invite_code=secrets.token_urlsafe(9))
            break
        except workspaces.SlugTaken:
            if body.slug or attempt == 2:
                raise conflict("that slug is taken", field="slug") from None
            slug = f"{_slug_from(body.name)}-{secrets.token_hex(3)}"
    await svc.publish(move_rooms(principal.user_id, join=[rooms.workspace(row["id"])]))
    return workspace_view(row)


async def list_mine(svc: Services, principal: Principal, *, limit: int, cursor: str | None) -> WorkspaceList:
    async with svc.db.connection() as conn:
        rows = await workspaces.list_for_user(conn, principal.user_id, after=decode_cursor(cursor), limit=limit + 1)
    rows, next_cursor = page(rows, limit, lambda row: encode_cursor(row["slug"]))
    return WorkspaceList(items=[workspace_view(row) for row in rows], next_cursor=next_cursor)


async def get(svc: Services, principal: Principal, workspace_id: UUID) -> Workspace:
    async with svc.db.connection() as conn:
        return workspace_view(await access.workspace_role(conn, workspace_id, principal))


async def update(svc: Services, principal: Principal, workspace_id: UUID, body: WorkspaceUpdateIn) -> Workspace:
    async with svc.db.transaction("update_workspace") as conn:
        await access.workspace_role(conn, workspace_id, principal, "ADMIN")
        await workspaces.update(conn, workspace_id, body.model_dump(exclude_unset=True))
        row = await workspaces.for_member(conn, workspace_id, principal.user_id)
    workspace = workspace_view(row)
    await svc.publish(Event("workspace:updated", {"workspace": workspace.wire() | {"role": None, "inviteCode": None}},
                            rooms=(rooms.workspace(workspace_id),)))
    return workspace


async def delete(svc: Services, principal: Principal, workspace_id: UUID) -> None:
    async with svc.db.transaction("delete_workspace") as conn:
        await access.workspace_role(conn, workspace_id, principal, "OWNER")
        await workspaces.delete(conn, workspace_id)
    await svc.publish(Event("workspace:deleted", {"workspaceId": str(workspace_id)},
                            rooms=(rooms.workspace(workspace_id),)))


async def join(svc: Services, principal: Principal, body: JoinWorkspaceIn) -> Workspace:
    async with svc.db.transaction("join_workspace") as conn:
        found = await workspaces.by_invite_code(conn, body.invite_code)
        if found is None:
            raise not_found("invite code")
        added = await workspaces.add_member(conn, found["id"], principal.user_id, "MEMBER")
        row = await workspaces.for_member(conn, found["id"], principal.user_id)
    if added:
        await svc.publish(
            move_rooms(principal.user_id, join=[rooms.workspace(found["id"])]),
            Event("workspace:member_joined", {"workspaceId": str(found["id"]), "userId": str(principal.user_id)},
                  rooms=(rooms.workspace(found["id"]),)),
        )
    return workspace_view(row)


async def members(svc: Services, principal: Principal, workspace_id: UUID, *, limit: int,
                  cursor: str | None) -> MemberList:
    async with svc.db.connection() as conn:
        await access.workspace_role(conn, workspace_id, principal)
        rows = await workspaces.members(conn, workspace_id, after=decode_cursor(cursor), limit=limit + 1)
    rows, next_cursor = page(rows, limit, lambda row: encode_cursor(row["username"].lower()))
    return MemberList(items=[Member.from_row(row) for row in rows], next_cursor=next_cursor)


async def set_role(svc: Services, principal: Principal, workspace_id: UUID, user_id: UUID, role: str) -> Member:
    """ADMINs manage roles below their own; only the OWNER makes ADMINs; ownership is not given away here."""
    async with svc.db.transaction("set_workspace_role") as conn:
        mine = (await access.workspace_role(conn, workspace_id, principal, "ADMIN"))["role"]
        theirs = await workspaces.member_role(conn, workspace_id, user_id)
        if theirs is None:
            raise not_found("member")
        if role == "OWNER" or theirs == "OWNER":
            raise forbidden("the owner's role cannot be changed here")
        if mine != "OWNER" and (RANK[role] >= RANK[mine] or RANK[theirs] >= RANK[mine]):
            raise forbidden("you may only manage roles below your own")
        await workspaces.set_member_role(conn, workspace_id, user_id, role)
        member = Member.from_row(await workspaces.member(conn, workspace_id, user_id))
    await svc.publish(Event("workspace:member_updated", {"workspaceId": str(workspace_id), "member": member.wire()},
                            rooms=(rooms.workspace(workspace_id),)))
    return member


async def remove_member(svc: Services, principal: Principal, workspace_id: UUID, user_id: UUID) -> None:
    """Members may leave; ADMINs remove those below them. The owner cannot leave their workspace."""
    async with svc.db.transaction("remove_workspace_member") as conn:
        mine = (await access.workspace_role(conn, workspace_id, principal))["role"]
        theirs = await workspaces.member_role(conn, workspace_id, user_id)
        if theirs is None:
            raise not_found("member")
        if theirs == "OWNER":
            raise forbidden("the owner cannot leave or be removed")
        if user_id != principal.user_id and not (at_least(mine, "ADMIN") and RANK[theirs] < RANK[mine]):
            raise forbidden("you may only remove members below your own role")
        left_channels = await workspaces.remove_member(conn, workspace_id, user_id)
    leave = [rooms.workspace(workspace_id), *(rooms.channel(channel_id) for channel_id in left_channels)]
    await svc.publish(
        Event("workspace:member_left", {"workspaceId": str(workspace_id), "userId": str(user_id)},
              rooms=(rooms.workspace(workspace_id),)),
        *(Event("channel:member_left", {"channelId": str(channel_id), "userId": str(user_id)},
                rooms=(rooms.channel(channel_id),)) for channel_id in left_channels),
        move_rooms(user_id, leave=leave),
    )
