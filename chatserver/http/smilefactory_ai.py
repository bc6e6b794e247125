"""SmileFactory AI: preferences, context for the model (a plain resource with an expiry) and
ratings of AI chats. The conversations themselves are the AI chats (/ai-chats)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from chatserver.actions import smilefactory_ai
from chatserver.actions.policies import Owned
from chatserver.http.api import Api, Context
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.fields import Time, text
from chatserver.schemas.smilefactory_ai import AiPreferences, AiPreferencesIn, AiRating, AiRatingIn

api = Api()
TAGS = ("ai chat",)

context_data = mount(api, Resource(
    path="ai-context", model="AiContext", table="ai_context_data", tag=TAGS[0], name="AI context entry",
    policy=Owned(), ops=frozenset({"list", "get", "create", "delete"}),
    description="Something the assistant is told about its owner with each message, until it expires "
                "(expired entries are never used and are deleted by a periodic task).",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("context_type", Literal["profile", "activity", "preferences", "connections", "content"],
            required=True),
        Col("context_key", text(255, 1), required=True),
        Col("context_value", text(4000, 1), required=True),
        Col("expires_at", Time, nullable=True, description="None: it does not expire."),
        server("created_at", datetime),
    ),
))


@api.get("/ai-preferences", summary="Your AI preferences", tags=TAGS, response=AiPreferences)
async def get_ai_preferences(ctx: Context) -> AiPreferences:
    """The defaults until you change something."""
    return await smilefactory_ai.get_preferences(ctx.svc, ctx.user)


@api.put("/ai-preferences", summary="Change your AI preferences", tags=TAGS, body=AiPreferencesIn,
         response=AiPreferences)
async def put_ai_preferences(ctx: Context, body: AiPreferencesIn) -> AiPreferences:
    """Only the fields given change. With AI turned off, sending a message is `conflict`."""
    return await smilefactory_ai.put_preferences(ctx.svc, ctx.user, body)


@api.put("/ai-chats/{id}/rating", summary="Rate your AI chat 1..5", tags=TAGS, body=AiRatingIn,
         response=AiRating, errors=("not_found",))
async def rate_ai_chat(ctx: Context, id: UUID, body: AiRatingIn) -> AiRating:
    """One rating per chat: rating again replaces it. Only the chat's owner."""
    return await smilefactory_ai.rate(ctx.svc, ctx.user, id, body)


@api.get("/ai-chats/{id}/rating", summary="Your rating of your AI chat", tags=TAGS, response=AiRating,
         errors=("not_found",))
async def get_ai_chat_rating(ctx: Context, id: UUID) -> AiRating:
    return await smilefactory_ai.get_rating(ctx.svc, ctx.user, id)
