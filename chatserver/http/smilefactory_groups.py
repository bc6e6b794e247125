"""SmileFactory groups: settings, joining, members and roles (the chat is the group's channel)."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import smilefactory_groups as groups
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.smilefactory_groups import (
    GroupIn,
    GroupOut,
    GroupPage,
    GroupQuery,
    GroupUpdateIn,
    JoinByCodeIn,
    JoinIn,
    MemberOut,
    MemberPage,
    MemberQuery,
    RoleIn,
)

api = Api()
TAGS = ("groups",)
MANAGE_ERRORS = ("not_found", "forbidden", "conflict")


@api.post("/groups", summary="Create a group (you are its admin; its chat channel is created with it)", tags=TAGS,
          body=GroupIn, response=GroupOut, status=201)
async def create_group(ctx: Context, body: GroupIn) -> GroupOut:
    return await groups.create(ctx.svc, ctx.user, body)


@api.get("/groups", summary="Groups you may see, newest first (hidden ones only if you are in them)", tags=TAGS,
         query=GroupQuery, response=GroupPage)
async def list_groups(ctx: Context, query: GroupQuery) -> GroupPage:
    return await groups.list_groups(ctx.svc, ctx.user, query)


@api.post("/groups/join", summary="Join the group an invite code belongs to (hidden groups included)", tags=TAGS,
          body=JoinByCodeIn, response=MemberOut, errors=MANAGE_ERRORS)
async def join_group_by_code(ctx: Context, body: JoinByCodeIn) -> MemberOut:
    return await groups.join_by_code(ctx.svc, ctx.user, body)


@api.get("/groups/{id}", summary="A group", tags=TAGS, response=GroupOut, errors=("not_found",))
async def get_group(ctx: Context, id: UUID) -> GroupOut:
    return await groups.get(ctx.svc, ctx.user, id)


@api.patch("/groups/{id}", summary="Change a group's settings and cap (admins)", tags=TAGS, body=GroupUpdateIn,
           response=GroupOut, errors=MANAGE_ERRORS)
async def update_group(ctx: Context, id: UUID, body: GroupUpdateIn) -> GroupOut:
    return await groups.update(ctx.svc, ctx.user, id, body)


@api.delete("/groups/{id}", summary="Delete a group with its chat (admins)", tags=TAGS, status=204,
            errors=MANAGE_ERRORS)
async def delete_group(ctx: Context, id: UUID) -> Reply:
    await groups.delete(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.post("/groups/{id}/invite-code", summary="Replace the group's invite code (admins; the old one stops "
          "working)", tags=TAGS, response=GroupOut, errors=MANAGE_ERRORS)
async def rotate_group_invite_code(ctx: Context, id: UUID) -> GroupOut:
    return await groups.rotate_invite_code(ctx.svc, ctx.user, id)


@api.post("/groups/{id}/join", summary="Join a group (active), or ask to (pending) where approval is required",
          tags=TAGS, body=JoinIn, response=MemberOut, errors=MANAGE_ERRORS)
async def join_group(ctx: Context, id: UUID, body: JoinIn) -> MemberOut:
    return await groups.join(ctx.svc, ctx.user, id, body)


@api.post("/groups/{id}/leave", summary="Leave a group or withdraw your request", tags=TAGS, status=204,
          errors=MANAGE_ERRORS)
async def leave_group(ctx: Context, id: UUID) -> Reply:
    await groups.leave(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.get("/groups/{id}/members", summary="A group's members in joining order (pending and banned: moderators)",
         tags=TAGS, query=MemberQuery, response=MemberPage, errors=("not_found", "forbidden"))
async def list_group_members(ctx: Context, id: UUID, query: MemberQuery) -> MemberPage:
    return await groups.list_members(ctx.svc, ctx.user, id, query)


@api.delete("/groups/{id}/members/{userId}", summary="Remove a member below your role, or reject a request "
            "(moderators)", tags=TAGS, status=204, errors=MANAGE_ERRORS)
async def remove_group_member(ctx: Context, id: UUID, userId: UUID) -> Reply:  # noqa: N803
    await groups.remove(ctx.svc, ctx.user, id, userId)
    return Reply(None, status=204)


@api.post("/groups/{id}/members/{userId}/approve", summary="Approve a join request (moderators)", tags=TAGS,
          response=MemberOut, errors=MANAGE_ERRORS)
async def approve_group_member(ctx: Context, id: UUID, userId: UUID) -> MemberOut:  # noqa: N803
    return await groups.approve(ctx.svc, ctx.user, id, userId)


@api.post("/groups/{id}/members/{userId}/ban", summary="Ban someone: out of the group and its chat, and no "
          "rejoining (moderators)", tags=TAGS, response=MemberOut, errors=MANAGE_ERRORS)
async def ban_group_member(ctx: Context, id: UUID, userId: UUID) -> MemberOut:  # noqa: N803
    return await groups.ban(ctx.svc, ctx.user, id, userId)


@api.post("/groups/{id}/members/{userId}/unban", summary="Lift a ban (moderators)", tags=TAGS,
          response=MemberOut, errors=MANAGE_ERRORS)
async def unban_group_member(ctx: Context, id: UUID, userId: UUID) -> MemberOut:  # noqa: N803
    return await groups.unban(ctx.svc, ctx.user, id, userId)


@api.put("/groups/{id}/members/{userId}/role", summary="Set an active member's role (admins)", tags=TAGS,
         body=RoleIn, response=MemberOut, errors=MANAGE_ERRORS)
async def set_group_member_role(ctx: Context, id: UUID, userId: UUID, body: RoleIn) -> MemberOut:  # noqa: N803
    return await groups.set_role(ctx.svc, ctx.user, id, userId, body)
