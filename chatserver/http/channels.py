"""Channels over HTTP: the channel, its members, its messages and pins."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import channels, messages
from chatserver.actions.access import StreamRef
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.messages import HistoryQuery, MessageOut, MessagePage, PinList, PostIn
from chatserver.schemas.workspaces import (
    AddMemberIn,
    ChannelMember,
    ChannelMemberList,
    ChannelOut,
    ChannelUpdateIn,
    ListQuery,
)

api = Api()
TAGS = ("channels",)
NOT_MINE = ("not_found", "forbidden")


@api.get("/channels/{channelId}", summary="A channel", tags=TAGS, response=ChannelOut, errors=("not_found",))
async def get_channel(ctx: Context, channelId: UUID) -> ChannelOut:  # noqa: N803
    return ChannelOut(channel=await channels.get(ctx.svc, ctx.user, channelId))


@api.patch("/channels/{channelId}", summary="Change a channel (admins), or your mute setting", tags=TAGS,
           body=ChannelUpdateIn, response=ChannelOut, errors=(*NOT_MINE, "conflict"))
async def update_channel(ctx: Context, channelId: UUID, body: ChannelUpdateIn) -> ChannelOut:  # noqa: N803
    return ChannelOut(channel=await channels.update(ctx.svc, ctx.user, channelId, body))


@api.post("/channels/{channelId}/archive", summary="Archive a channel: it becomes read-only", tags=TAGS,
          response=ChannelOut, errors=NOT_MINE)
async def archive_channel(ctx: Context, channelId: UUID) -> ChannelOut:  # noqa: N803
    return ChannelOut(channel=await channels.archive(ctx.svc, ctx.user, channelId))


@api.get("/channels/{channelId}/members", summary="Members of a channel", tags=TAGS, query=ListQuery,
         response=ChannelMemberList, errors=("not_found",))
async def list_members(ctx: Context, channelId: UUID, query: ListQuery) -> ChannelMemberList:  # noqa: N803
    return await channels.members(ctx.svc, ctx.user, channelId, query)


@api.post("/channels/{channelId}/members", summary="Add a workspace member to the channel", tags=TAGS,
          body=AddMemberIn, response=ChannelMember, status=201, errors=NOT_MINE)
async def add_member(ctx: Context, channelId: UUID, body: AddMemberIn) -> ChannelMember:  # noqa: N803
    return await channels.add_member(ctx.svc, ctx.user, channelId, body.user_id)


@api.delete("/channels/{channelId}/members/{userId}", summary="Remove a member, or leave", tags=TAGS,
            status=204, errors=NOT_MINE)
async def remove_member(ctx: Context, channelId: UUID, userId: UUID) -> Reply:  # noqa: N803
    await channels.remove_member(ctx.svc, ctx.user, channelId, userId)
    return Reply(None, status=204)


@api.get("/channels/{channelId}/messages", summary="A page of messages in ascending seq, or a thread",
         tags=("messages",), query=HistoryQuery, response=MessagePage, errors=NOT_MINE)
async def history(ctx: Context, channelId: UUID, query: HistoryQuery) -> MessagePage:  # noqa: N803
    return await messages.history(ctx.svc, ctx.user, StreamRef.channel(channelId), query)


@api.post("/channels/{channelId}/messages", summary="Post a message (idempotent by nonce)", tags=("messages",),
          body=PostIn, response=MessageOut, status=201, errors=(*NOT_MINE, "rate_limited", "payload_too_large"))
async def post_message(ctx: Context, channelId: UUID, body: PostIn) -> MessageOut:  # noqa: N803
    return await messages.send(ctx.svc, ctx.user, StreamRef.channel(channelId), body)


@api.get("/channels/{channelId}/pins", summary="Pinned messages, latest pin first", tags=("messages",),
         response=PinList, errors=NOT_MINE)
async def pins(ctx: Context, channelId: UUID) -> PinList:  # noqa: N803
    return await channels.pins(ctx.svc, ctx.user, channelId)
