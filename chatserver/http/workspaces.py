"""Workspaces, their members, and their channels over HTTP."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import channels, workspaces
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.workspaces import (
    ChannelCreateIn,
    ChannelList,
    ChannelOut,
    JoinWorkspaceIn,
    ListQuery,
    Member,
    MemberList,
    RoleIn,
    WorkspaceCreateIn,
    WorkspaceList,
    WorkspaceOut,
    WorkspaceUpdateIn,
)

api = Api()
TAGS = ("workspaces",)


@api.post("/workspaces", summary="Create a workspace (you become its OWNER)", tags=TAGS, body=WorkspaceCreateIn,
          response=WorkspaceOut, status=201, errors=("conflict",))
async def create_workspace(ctx: Context, body: WorkspaceCreateIn) -> WorkspaceOut:
    return WorkspaceOut(workspace=await workspaces.create(ctx.svc, ctx.user, body))


@api.get("/workspaces", summary="Workspaces you are a member of", tags=TAGS, query=ListQuery,
         response=WorkspaceList)
async def list_workspaces(ctx: Context, query: ListQuery) -> WorkspaceList:
    return await workspaces.list_mine(ctx.svc, ctx.user, query)


@api.post("/workspaces/join", summary="Join a workspace with its invite code", tags=TAGS, body=JoinWorkspaceIn,
          response=WorkspaceOut, errors=("not_found",))
async def join_workspace(ctx: Context, body: JoinWorkspaceIn) -> WorkspaceOut:
    return WorkspaceOut(workspace=await workspaces.join(ctx.svc, ctx.user, body))


@api.get("/workspaces/{workspaceId}", summary="A workspace you are a member of", tags=TAGS,
         response=WorkspaceOut, errors=("not_found",))
async def get_workspace(ctx: Context, workspaceId: UUID) -> WorkspaceOut:  # noqa: N803
    return WorkspaceOut(workspace=await workspaces.get(ctx.svc, ctx.user, workspaceId))


@api.patch("/workspaces/{workspaceId}", summary="Change a workspace (ADMIN or OWNER)", tags=TAGS,
           body=WorkspaceUpdateIn, response=WorkspaceOut, errors=("not_found", "forbidden"))
async def update_workspace(ctx: Context, workspaceId: UUID, body: WorkspaceUpdateIn) -> WorkspaceOut:  # noqa: N803
    return WorkspaceOut(workspace=await workspaces.update(ctx.svc, ctx.user, workspaceId, body))


@api.delete("/workspaces/{workspaceId}", summary="Delete a workspace (OWNER)", tags=TAGS, status=204,
            errors=("not_found", "forbidden"))
async def delete_workspace(ctx: Context, workspaceId: UUID) -> Reply:  # noqa: N803
    await workspaces.delete(ctx.svc, ctx.user, workspaceId)
    return Reply(None, status=204)


@api.get("/workspaces/{workspaceId}/members", summary="Members of a workspace", tags=TAGS, query=ListQuery,
         response=MemberList, errors=("not_found",))
async def list_members(ctx: Context, workspaceId: UUID, query: ListQuery) -> MemberList:  # noqa: N803
    return await workspaces.members(ctx.svc, ctx.user, workspaceId, query)


@api.patch("/workspaces/{workspaceId}/members/{userId}", summary="Change a member's role", tags=TAGS,
           body=RoleIn, response=Member, errors=("not_found", "forbidden"))
async def set_member_role(ctx: Context, workspaceId: UUID, userId: UUID, body: RoleIn) -> Member:  # noqa: N803
    return await workspaces.set_role(ctx.svc, ctx.user, workspaceId, userId, body)


@api.delete("/workspaces/{workspaceId}/members/{userId}", summary="Remove a member, or leave", tags=TAGS,
            status=204, errors=("not_found", "forbidden"))
async def remove_member(ctx: Context, workspaceId: UUID, userId: UUID) -> Reply:  # noqa: N803
    await workspaces.remove_member(ctx.svc, ctx.user, workspaceId, userId)
    return Reply(None, status=204)


@api.post("/workspaces/{workspaceId}/channels", summary="Create a channel (you become a member)",
          tags=("channels",), body=ChannelCreateIn, response=ChannelOut, status=201,
          errors=("not_found", "forbidden", "conflict"))
async def create_channel(ctx: Context, workspaceId: UUID, body: ChannelCreateIn) -> ChannelOut:  # noqa: N803
    return ChannelOut(channel=await channels.create(ctx.svc, ctx.user, workspaceId, body))


@api.get("/workspaces/{workspaceId}/channels", summary="Public channels, and private ones you are in",
         tags=("channels",), query=ListQuery, response=ChannelList, errors=("not_found",))
async def list_channels(ctx: Context, workspaceId: UUID, query: ListQuery) -> ChannelList:  # noqa: N803
    return await channels.list_in_workspace(ctx.svc, ctx.user, workspaceId, query)
