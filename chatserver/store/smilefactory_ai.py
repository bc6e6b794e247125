"""SmileFactory AI: a user's preferences, the context given to the model, and ratings of chats."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

PREFERENCE_COLUMNS = ("ai_enabled", "preferred_response_style", "context_awareness_level",
                      "quick_replies_enabled", "profile_assistance_enabled")
_PREFERENCES = ", ".join(PREFERENCE_COLUMNS) + ", updated_at"


async def preferences(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_PREFERENCES} FROM ai_user_preferences WHERE user_id = $1", user_id)


async def put_preferences(conn: asyncpg.Connection, user_id: UUID, values: dict[str, Any]) -> asyncpg.Record:
    names = list(values)
    columns = ", ".join(names)
    placeholders = ", ".join(f"${n + 2}" for n in range(len(names)))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
    return await conn.fetchrow(
        f"""INSERT INTO ai_user_preferences (user_id, {columns}) VALUES ($1, {placeholders})
            ON CONFLICT (user_id) DO UPDATE SET {updates}, updated_at = now()
            RETURNING {_PREFERENCES}""", user_id, *values.values())


async def live_context(conn: asyncpg.Connection, user_id: UUID, limit: int) -> list[asyncpg.Record]:
    """The user's context that has not expired, newest first: what the model may be told."""
    return await conn.fetch(
        """SELECT context_type, context_key, context_value FROM ai_context_data
            WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > now())
            ORDER BY created_at DESC, id DESC LIMIT $2""", user_id, limit)


async def purge_expired_context(conn: asyncpg.Connection, batch_size: int) -> int:
    deleted = await conn.fetch(
        """DELETE FROM ai_context_data WHERE id IN (
               SELECT id FROM ai_context_data WHERE expires_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING id""", batch_size)
    return len(deleted)


async def rate(conn: asyncpg.Connection, chat_id: UUID, user_id: UUID, rating: int) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO ai_ratings (chat_id, user_id, rating) VALUES ($1, $2, $3)
           ON CONFLICT (chat_id, user_id) DO UPDATE SET rating = EXCLUDED.rating, created_at = now()
           RETURNING chat_id, rating, created_at""", chat_id, user_id, rating)


async def rating(conn: asyncpg.Connection, chat_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT chat_id, rating, created_at FROM ai_ratings WHERE chat_id = $1 AND user_id = $2",
                               chat_id, user_id)
