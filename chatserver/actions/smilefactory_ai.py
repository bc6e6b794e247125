"""SmileFactory AI: a user's preferences and context shape what the model is told; users rate
their chats 1..5; expired context is purged on a timer."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import not_found
from chatserver.schemas.smilefactory_ai import AiPreferences, AiPreferencesIn, AiRating, AiRatingIn
from chatserver.store import ai_chats
from chatserver.store import smilefactory_ai as store

# How many context entries the model gets at each context awareness level.
CONTEXT_ENTRIES = {"minimal": 0, "moderate": 5, "full": 20}
STYLE_HINTS = {"concise": "Answer briefly.", "detailed": "Answer in detail.", "balanced": ""}
PURGE_BATCH = 500


async def _preferences(conn: asyncpg.Connection, user_id: UUID) -> AiPreferences:
    row = await store.preferences(conn, user_id)
    return AiPreferences.from_row(row) if row else AiPreferences()


async def prompt_for(conn: asyncpg.Connection, user_id: UUID) -> tuple[bool, dict[str, str] | None]:
    """Whether the user has AI turned on, and the system message their preferences and
    unexpired context make (None when there is nothing to say)."""
    prefs = await _preferences(conn, user_id)
    lines = [STYLE_HINTS[prefs.preferred_response_style]] if STYLE_HINTS[prefs.preferred_response_style] else []
    entries = await store.live_context(conn, user_id, CONTEXT_ENTRIES[prefs.context_awareness_level])
    if entries:
        lines.append("What you know about the user:")
        lines += [f"- {e['context_type']}/{e['context_key']}: {e['context_value']}" for e in entries]
    return prefs.ai_enabled, ({"role": "system", "content": "\n".join(lines)} if lines else None)


async def get_preferences(svc: Services, principal: Principal) -> AiPreferences:
    async with svc.db.connection() as conn:
        return await _preferences(conn, principal.user_id)


async def put_preferences(svc: Services, principal: Principal, body: AiPreferencesIn) -> AiPreferences:
    changes = {name: value for name, value in body.model_dump(exclude_unset=True).items() if value is not None}
    async with svc.db.transaction("put_ai_preferences") as conn:
        if not changes:
            return await _preferences(conn, principal.user_id)
        return AiPreferences.from_row(await store.put_preferences(conn, principal.user_id, changes))


async def _own_chat(conn: asyncpg.Connection, principal: Principal, chat_id: UUID) -> None:
    chat = await ai_chats.chat(conn, chat_id)
    if chat is None or chat["user_id"] != principal.user_id:
        raise not_found("chat")


async def rate(svc: Services, principal: Principal, chat_id: UUID, body: AiRatingIn) -> AiRating:
    async with svc.db.transaction("rate_ai_chat") as conn:
        await _own_chat(conn, principal, chat_id)
        return AiRating.from_row(await store.rate(conn, chat_id, principal.user_id, body.rating))


async def get_rating(svc: Services, principal: Principal, chat_id: UUID) -> AiRating:
    async with svc.db.connection() as conn:
        await _own_chat(conn, principal, chat_id)
        row = await store.rating(conn, chat_id, principal.user_id)
    if row is None:
        raise not_found("rating")
    return AiRating.from_row(row)


async def purge_expired_context(svc: Services, batch_size: int = PURGE_BATCH) -> int:
    """The periodic task: delete context past its expiry, a batch per transaction; how many. Idempotent."""
    purged = 0
    while True:
        async with svc.db.transaction("purge_ai_context") as conn:
            deleted = await store.purge_expired_context(conn, batch_size)
        purged += deleted
        if deleted < batch_size:
            return purged
