"""Communities, their members and their posts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from chatserver.actions import communities
from chatserver.actions.policies import InCommunity
from chatserver.http.api import Api, Context, Reply
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.communities import (
    CommunityIn,
    CommunityOut,
    CommunityPage,
    CommunityQuery,
    CommunityUpdateIn,
    MemberOut,
    MemberPage,
    MemberQuery,
    MemberUpdateIn,
)
from chatserver.schemas.fields import Content

api = Api()
TAGS = ("communities",)
ROLE_ERRORS = ("not_found", "forbidden", "conflict")


@api.post("/communities", summary="Create a community; you become its owner", tags=TAGS, body=CommunityIn,
          response=CommunityOut, status=201, errors=("conflict",))
async def create_community(ctx: Context, body: CommunityIn) -> CommunityOut:
    return await communities.create_community(ctx.svc, ctx.user, body)


@api.get("/communities", summary="Communities you may see (public ones and yours)", tags=TAGS,
         query=CommunityQuery, response=CommunityPage)
async def list_communities(ctx: Context, query: CommunityQuery) -> CommunityPage:
    return await communities.list_communities(ctx.svc, ctx.user, query)


@api.get("/communities/{id}", summary="A community", tags=TAGS, response=CommunityOut, errors=("not_found",))
async def get_community(ctx: Context, id: UUID) -> CommunityOut:
    return await communities.get_community(ctx.svc, ctx.user, id)


@api.patch("/communities/{id}", summary="Change a community (its admins and owner)", tags=TAGS,
           body=CommunityUpdateIn, response=CommunityOut, errors=ROLE_ERRORS)
async def update_community(ctx: Context, id: UUID, body: CommunityUpdateIn) -> CommunityOut:
    return await communities.update_community(ctx.svc, ctx.user, id, body)


@api.delete("/communities/{id}", summary="Delete a community (its owner)", tags=TAGS, status=204,
            errors=("not_found", "forbidden"))
async def delete_community(ctx: Context, id: UUID) -> Reply:
    await communities.delete_community(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.post("/communities/{id}/join", summary="Join, or ask to join a private community", tags=TAGS,
          response=MemberOut, status=201, errors=("not_found", "conflict"))
async def join_community(ctx: Context, id: UUID) -> MemberOut:
    return await communities.join(ctx.svc, ctx.user, id)


@api.post("/communities/{id}/leave", summary="Leave a community", tags=TAGS, status=204, errors=ROLE_ERRORS)
async def leave_community(ctx: Context, id: UUID) -> Reply:
    await communities.remove_member(ctx.svc, ctx.user, id, ctx.user.user_id)
    return Reply(None, status=204)


@api.get("/communities/{id}/members", summary="Members (join requests for moderators)", tags=TAGS,
         query=MemberQuery, response=MemberPage, errors=("not_found", "forbidden"))
async def list_community_members(ctx: Context, id: UUID, query: MemberQuery) -> MemberPage:
    return await communities.list_members(ctx.svc, ctx.user, id, query)


@api.patch("/communities/{id}/members/{userId}", summary="Approve a member or change their role", tags=TAGS,
           body=MemberUpdateIn, response=MemberOut, errors=ROLE_ERRORS)
async def update_community_member(ctx: Context, id: UUID, userId: UUID, body: MemberUpdateIn) -> MemberOut:  # noqa: N803
    return await communities.update_member(ctx.svc, ctx.user, id, userId, body)


@api.delete("/communities/{id}/members/{userId}", summary="Remove a member (or yourself)", tags=TAGS,
            status=204, errors=ROLE_ERRORS)
async def remove_community_member(ctx: Context, id: UUID, userId: UUID) -> Reply:  # noqa: N803
    await communities.remove_member(ctx.svc, ctx.user, id, userId)
    return Reply(None, status=204)


community_posts = mount(api, Resource(
    path="community-posts", model="CommunityPost", table="community_posts", tag="communities",
    policy=InCommunity(), touch="updated_at",
    description="A post in a community: read where the community is visible, written by its active members; "
                "moderators and above delete any post of their community.",
    columns=(
        server("id", UUID),
        Col("community_id", UUID, required=True, update=False, filter=True),
        server("user_id", UUID, filter=True),
        Col("content", Content, required=True),
        Col("type", Literal["event", "update"], default="update", filter=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))
