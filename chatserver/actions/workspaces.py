"""Workspaces: create, join by invite code, manage members and roles."""

from __future__ import annotations

import re
import secrets
from uuid import UUID

from chatserver.actions import access
from chatserver.actions.access import at_least
from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.broker.control import move_rooms
from chatserver.errors import conflict, forbidden, not_found
from chatserver.schemas.events import (
    CHANNEL_MEMBER_LEFT,
    WORKSPACE_DELETED,
    WORKSPACE_MEMBER_JOINED,
    WORKSPACE_MEMBER_LEFT,
    WORKSPACE_MEMBER_UPDATED,
    WORKSPACE_UPDATED,
    ChannelMemberEvent,
    WorkspaceEvent,
    WorkspaceMemberEvent,
    WorkspaceMemberUpdatedEvent,
    WorkspaceRefEvent,
)
from chatserver.schemas.pagination import fetch_page
from chatserver.schemas.workspaces import (
    JoinWorkspaceIn,
    ListQuery,
    Member,
    MemberList,
    RoleIn,
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
                svc.publish_after_commit(move_rooms(principal.user_id, join=[rooms.workspace(row["id"])]))
            break
        except workspaces.SlugTaken:
            if body.slug or attempt == 2:
                raise conflict("that slug is taken", field="slug") from None
            slug = f"{_slug_from(body.name)}-{secrets.token_hex(3)}"
    return workspace_view(row)


async def list_mine(svc: Services, principal: Principal, query: ListQuery) -> WorkspaceList:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: workspaces.list_for_user(
            conn, principal.user_id, after=after, limit=limit), lambda row: row["slug"])
    return WorkspaceList.of(window, workspace_view)


async def get(svc: Services, principal: Principal, workspace_id: UUID) -> Workspace:
    async with svc.db.connection() as conn:
        return workspace_view(await access.workspace_role(conn, workspace_id, principal))


async def update(svc: Services, principal: Principal, workspace_id: UUID, body: WorkspaceUpdateIn) -> Workspace:
    async with svc.db.transaction("update_workspace") as conn:
        await access.workspace_role(conn, workspace_id, principal, "ADMIN")
        await workspaces.update(conn, workspace_id, body.model_dump(exclude_unset=True))
        row = await workspaces.for_member(conn, workspace_id, principal.user_id)
        workspace = workspace_view(row)
        svc.publish_after_commit(WORKSPACE_UPDATED.to((rooms.workspace(workspace_id),), WorkspaceEvent.of(workspace)))
    return workspace


async def delete(svc: Services, principal: Principal, workspace_id: UUID) -> None:
    async with svc.db.transaction("delete_workspace") as conn:
        await access.workspace_role(conn, workspace_id, principal, "OWNER")
        await workspaces.delete(conn, workspace_id)
        svc.publish_after_commit(WORKSPACE_DELETED.to((rooms.workspace(workspace_id),),
                                                      WorkspaceRefEvent(workspace_id=workspace_id)))


async def join(svc: Services, principal: Principal, body: JoinWorkspaceIn) -> Workspace:
    async with svc.db.transaction("join_workspace") as conn:
        found = await workspaces.by_invite_code(conn, body.invite_code)
        if found is None:
            raise not_found("invite code")
        added = await workspaces.add_member(conn, found["id"], principal.user_id, "MEMBER")
        row = await workspaces.for_member(conn, found["id"], principal.user_id)
        if added:
            joined = WorkspaceMemberEvent(workspace_id=found["id"], user_id=principal.user_id)
            svc.publish_after_commit(move_rooms(principal.user_id, join=[rooms.workspace(found["id"])]),
                                     WORKSPACE_MEMBER_JOINED.to((rooms.workspace(found["id"]),), joined))
    return workspace_view(row)


async def members(svc: Services, principal: Principal, workspace_id: UUID, query: ListQuery) -> MemberList:
    async with svc.db.connection() as conn:
        await access.workspace_role(conn, workspace_id, principal)
        window = await fetch_page(query, lambda after, limit: workspaces.members(
            conn, workspace_id, after=after, limit=limit), lambda row: row["username"].lower())
    return MemberList.of(window, Member.from_row)


async def set_role(svc: Services, principal: Principal, workspace_id: UUID, user_id: UUID, body: RoleIn) -> Member:
    """ADMINs manage roles below their own; only the OWNER makes ADMINs; ownership is not given away here."""
    role = body.role
    async with svc.db.transaction("set_workspace_role") as conn:
        mine = (await access.workspace_role(conn, workspace_id, principal, "ADMIN"))["role"]
        theirs = await workspaces.member_role(conn, workspace_id, user_id)
        if theirs is None:
            raise not_found("member")
        if role == "OWNER" or theirs == "OWNER":
            raise forbidden("the owner's role cannot be changed here")
        if mine != "OWNER" and (at_least(role, mine) or at_least(theirs, mine)):
            raise forbidden("you may only manage roles below your own")
        await workspaces.set_member_role(conn, workspace_id, user_id, role)
        member = Member.from_row(await workspaces.member(conn, workspace_id, user_id))
        updated = WorkspaceMemberUpdatedEvent(workspace_id=workspace_id, member=member)
        svc.publish_after_commit(WORKSPACE_MEMBER_UPDATED.to((rooms.workspace(workspace_id),), updated))
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
        if user_id != principal.user_id and not (at_least(mine, "ADMIN") and not at_least(theirs, mine)):
            raise forbidden("you may only remove members below your own role")
        left_channels = await workspaces.remove_member(conn, workspace_id, user_id)
        leave = [rooms.workspace(workspace_id), *(rooms.channel(channel_id) for channel_id in left_channels)]
        svc.publish_after_commit(
            WORKSPACE_MEMBER_LEFT.to((rooms.workspace(workspace_id),),
                                     WorkspaceMemberEvent(workspace_id=workspace_id, user_id=user_id)),
            *(CHANNEL_MEMBER_LEFT.to((rooms.channel(channel_id),),
                                     ChannelMemberEvent(channel_id=channel_id, user_id=user_id))
              for channel_id in left_channels),
            move_rooms(user_id, leave=leave),
        )
