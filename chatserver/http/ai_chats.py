"""AI chats: the chats (a plain resource), their messages and the votes on them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from chatserver.actions import ai_chats
from chatserver.actions.policies import ColumnIs, Published
from chatserver.http.api import Api, Context, Reply
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.ai_chats import (
    AiExchange,
    AiMessageIn,
    AiMessagePage,
    VoteIn,
    VoteList,
    VoteOut,
)
from chatserver.schemas.fields import text
from chatserver.schemas.pagination import PageQuery

api = Api()
TAGS = ("ai chat",)

chats = mount(api, Resource(
    path="ai-chats", model="AiChat", table="ai_chats", tag=TAGS[0],
    policy=Published(readable=ColumnIs("visibility", "public")),
    description="A conversation with the AI assistant. Private ones are seen by their owner only; public "
                "ones by anyone signed in.",
    columns=(
        server("id", UUID),
        server("user_id", UUID, filter=True),
        Col("title", text(200, 1), required=True),
        Col("visibility", Literal["public", "private"], default="private", filter=True),
        Col("status", Literal["active", "completed", "error", "timeout"], default="active",
            description="Only an active chat takes messages."),
        server("total_tokens", int, description="Tokens the AI endpoint reported for this chat's replies."),
        server("created_at", datetime),
    ),
))


@api.post("/ai-chats/{id}/messages", summary="Send a message and get the assistant's reply", tags=TAGS,
          body=AiMessageIn, response=AiExchange, status=201,
          errors=("not_found", "forbidden", "conflict", "limit_reached", "unavailable"))
async def send_ai_message(ctx: Context, id: UUID, body: AiMessageIn) -> AiExchange:
    """Counts toward the daily limit (AI_DAILY_MESSAGES, 7 by default; the 8th of a UTC day is
    `limit_reached`). Without an AI endpoint configured, or when it fails, `unavailable` (and the
    message does not count). A chat that is not `active`, or AI turned off in the sender's
    preferences, is `conflict`. The model is told the sender's preferred style and unexpired context."""
    return await ai_chats.send(ctx.svc, ctx.user, id, body)


@api.get("/ai-chats/{id}/messages", summary="A chat's messages, oldest first", tags=TAGS, query=PageQuery,
         response=AiMessagePage, errors=("not_found",))
async def list_ai_messages(ctx: Context, id: UUID, query: PageQuery) -> AiMessagePage:
    return await ai_chats.list_messages(ctx.svc, ctx.user, id, query)


@api.get("/ai-chats/{id}/votes", summary="Votes on a chat's messages", tags=TAGS, response=VoteList,
         errors=("not_found",))
async def list_ai_votes(ctx: Context, id: UUID) -> VoteList:
    return await ai_chats.list_votes(ctx.svc, ctx.user, id)


@api.put("/ai-chats/{id}/votes/{messageId}", summary="Vote a message up or down (the chat's owner)", tags=TAGS,
         body=VoteIn, response=VoteOut, errors=("not_found", "forbidden"))
async def vote_ai_message(ctx: Context, id: UUID, messageId: UUID, body: VoteIn) -> VoteOut:  # noqa: N803
    return await ai_chats.vote(ctx.svc, ctx.user, id, messageId, body)


@api.delete("/ai-chats/{id}/votes/{messageId}", summary="Take a vote back", tags=TAGS, status=204,
            errors=("not_found", "forbidden"))
async def unvote_ai_message(ctx: Context, id: UUID, messageId: UUID) -> Reply:  # noqa: N803
    await ai_chats.unvote(ctx.svc, ctx.user, id, messageId)
    return Reply(None, status=204)
