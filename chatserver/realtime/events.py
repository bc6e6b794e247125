"""The client-to-server events: each parses its payload, calls an action, and returns the ack data."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from chatserver.actions import channels, conversations, messages, presence, sync, typing
from chatserver.actions.access import StreamRef
from chatserver.actions.context import Principal, Services
from chatserver.schemas.conversations import (
    ChannelJoinOut,
    ChannelReadIn,
    ChannelReadOut,
    ChannelRefIn,
    ConversationOut,
    DmReadIn,
    DmReadOut,
    OpenConversationIn,
    PresenceGetIn,
    PresenceList,
    PresenceOut,
    PresenceSetIn,
    SyncIn,
    SyncOut,
    TypingIn,
)
from chatserver.schemas.messages import (
    ChannelHistoryIn,
    DeletedOut,
    DmHistoryIn,
    DmSendIn,
    MessageEditIn,
    MessageOut,
    MessagePage,
    MessagePinIn,
    MessageRefIn,
    MessageSendIn,
    ReactionIn,
    ReactionsOut,
)

# Set by the server for each event: whether the client asked for an acknowledgement.
ack_requested: contextvars.ContextVar[bool] = contextvars.ContextVar("ack_requested", default=True)


@dataclass(frozen=True, slots=True)
class EventContext:
    svc: Services
    principal: Principal
    sid: str


Handler = Callable[[EventContext, Any], Awaitable[BaseModel | dict | None]]


@dataclass(frozen=True, slots=True)
class EventSpec:
    name: str
    payload: type[BaseModel]
    handler: Handler
    summary: str


EVENTS: dict[str, EventSpec] = {}


def event(name: str, payload: type[BaseModel], summary: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        EVENTS[name] = EventSpec(name, payload, handler, summary)
        return handler

    return register


@event("channel:join", ChannelRefIn, "Join a public channel.")
async def channel_join(ctx: EventContext, body: ChannelRefIn) -> ChannelJoinOut:
    channel, last_seq = await channels.join(ctx.svc, ctx.principal, body.channel_id)
    return ChannelJoinOut(channel=channel, last_seq=last_seq)


@event("channel:leave", ChannelRefIn, "Leave a channel.")
async def channel_leave(ctx: EventContext, body: ChannelRefIn) -> dict:
    await channels.leave(ctx.svc, ctx.principal, body.channel_id)
    return {}


@event("channel:history", ChannelHistoryIn, "Read a page of a channel's messages, or of a thread.")
async def channel_history(ctx: EventContext, body: ChannelHistoryIn) -> MessagePage:
    return await messages.history(ctx.svc, ctx.principal, StreamRef.channel(body.channel_id), body)


@event("message:send", MessageSendIn, "Post a message in a channel (idempotent by nonce).")
async def message_send(ctx: EventContext, body: MessageSendIn) -> MessageOut:
    return await messages.send(ctx.svc, ctx.principal, StreamRef.channel(body.channel_id), body)


@event("message:edit", MessageEditIn, "Edit your message, if `version` is still current.")
async def message_edit(ctx: EventContext, body: MessageEditIn) -> MessageOut:
    return MessageOut(message=await messages.edit(ctx.svc, ctx.principal, body.message_id, body.version,
                                                  body.content))


@event("message:delete", MessageRefIn, "Delete a message (author or moderator).")
async def message_delete(ctx: EventContext, body: MessageRefIn) -> DeletedOut:
    return await messages.delete(ctx.svc, ctx.principal, body.message_id)


@event("message:pin", MessagePinIn, "Pin or unpin a message.")
async def message_pin(ctx: EventContext, body: MessagePinIn) -> MessageOut:
    return MessageOut(message=await messages.pin(ctx.svc, ctx.principal, body.message_id, body.pinned))


@event("reaction:add", ReactionIn, "Add your reaction to a message.")
async def reaction_add(ctx: EventContext, body: ReactionIn) -> ReactionsOut:
    return await messages.react(ctx.svc, ctx.principal, body.message_id, body.emoji, add=True)


@event("reaction:remove", ReactionIn, "Remove your reaction from a message.")
async def reaction_remove(ctx: EventContext, body: ReactionIn) -> ReactionsOut:
    return await messages.react(ctx.svc, ctx.principal, body.message_id, body.emoji, add=False)


@event("typing", TypingIn, "Say you are (or stopped) typing; `true` expires after 6 s.")
async def typing_event(ctx: EventContext, body: TypingIn) -> dict:
    await typing.typing(ctx.svc, ctx.principal, body)
    return {}


@event("channel:read", ChannelReadIn, "Move your read marker in a channel.")
async def channel_read(ctx: EventContext, body: ChannelReadIn) -> ChannelReadOut:
    return await channels.mark_read(ctx.svc, ctx.principal, body.channel_id, body.seq, skip_sid=ctx.sid)


@event("presence:set", PresenceSetIn, "Set your status: ONLINE, AWAY or BUSY, with an optional text.")
async def presence_set(ctx: EventContext, body: PresenceSetIn) -> PresenceOut:
    return PresenceOut(presence=await presence.set_status(ctx.svc, ctx.principal, body.status, body.status_text))


@event("presence:get", PresenceGetIn, "The presence of up to 500 people who share a workspace with you.")
async def presence_get(ctx: EventContext, body: PresenceGetIn) -> PresenceList:
    return await presence.of_people(ctx.svc, ctx.principal, body)


@event("sync", SyncIn, "Everything changed after the changeSeq you hold, per channel and conversation.")
async def sync_event(ctx: EventContext, body: SyncIn) -> SyncOut:
    return await sync.sync(ctx.svc, ctx.principal, body)


@event("dm:open", OpenConversationIn, "Find or create your direct conversation with a user.")
async def dm_open(ctx: EventContext, body: OpenConversationIn) -> ConversationOut:
    return ConversationOut(conversation=await conversations.open_with(ctx.svc, ctx.principal, body.user_id))


@event("dm:send", DmSendIn, "Post a direct message (idempotent by nonce).")
async def dm_send(ctx: EventContext, body: DmSendIn) -> MessageOut:
    return await messages.send(ctx.svc, ctx.principal, StreamRef.conversation(body.conversation_id), body.as_post())


@event("dm:history", DmHistoryIn, "Read a page of a direct conversation.")
async def dm_history(ctx: EventContext, body: DmHistoryIn) -> MessagePage:
    return await messages.history(ctx.svc, ctx.principal, StreamRef.conversation(body.conversation_id),
                                  body.as_query())


@event("dm:read", DmReadIn, "Move your read marker in a direct conversation.")
async def dm_read(ctx: EventContext, body: DmReadIn) -> DmReadOut:
    return await conversations.mark_read(ctx.svc, ctx.principal, body.conversation_id, body.seq)
