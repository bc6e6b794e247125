"""Direct conversations over HTTP."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import conversations, messages
from chatserver.actions.access import StreamRef
from chatserver.http.api import Api, Context
from chatserver.schemas.conversations import (
    ConversationList,
    ConversationOut,
    ConversationQuery,
    OpenConversationIn,
)
from chatserver.schemas.messages import HistoryQuery, MessageOut, MessagePage, PostIn

api = Api()
TAGS = ("conversations",)


@api.post("/conversations", summary="Find or create your direct conversation with a user", tags=TAGS,
          body=OpenConversationIn, response=ConversationOut, errors=("not_found", "forbidden"))
async def open_conversation(ctx: Context, body: OpenConversationIn) -> ConversationOut:
    return ConversationOut(conversation=await conversations.open_with(ctx.svc, ctx.user, body.user_id))


@api.get("/conversations", summary="Your direct conversations, most recent first", tags=TAGS, query=ConversationQuery,
         response=ConversationList)
async def list_conversations(ctx: Context, query: ConversationQuery) -> ConversationList:
    return await conversations.list_mine(ctx.svc, ctx.user, query)


@api.get("/conversations/{conversationId}", summary="One of your direct conversations", tags=TAGS,
         response=ConversationOut, errors=("not_found",))
async def get_conversation(ctx: Context, conversationId: UUID) -> ConversationOut:  # noqa: N803
    return ConversationOut(conversation=await conversations.get(ctx.svc, ctx.user, conversationId))


@api.get("/conversations/{conversationId}/messages", summary="A page of direct messages in ascending seq",
         tags=TAGS, query=HistoryQuery, response=MessagePage, errors=("not_found",))
async def history(ctx: Context, conversationId: UUID, query: HistoryQuery) -> MessagePage:  # noqa: N803
    return await messages.history(ctx.svc, ctx.user, StreamRef.conversation(conversationId), query)


@api.post("/conversations/{conversationId}/messages", summary="Send a direct message (idempotent by nonce)",
          tags=TAGS, body=PostIn, response=MessageOut, status=201,
          errors=("not_found", "forbidden", "rate_limited", "payload_too_large"))
async def post_message(ctx: Context, conversationId: UUID, body: PostIn) -> MessageOut:  # noqa: N803
    return await messages.send(ctx.svc, ctx.user, StreamRef.conversation(conversationId), body)
