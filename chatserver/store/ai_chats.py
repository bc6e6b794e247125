"""AI chats: messages, votes, the daily quota on users, and the legacy tables' migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_MESSAGE = "id, chat_id, role, parts, attachments, tokens_used, response_time_ms, created_at"
_TODAY = "(now() AT TIME ZONE 'UTC')::date"


async def chat(conn: asyncpg.Connection, chat_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, user_id, visibility, status FROM ai_chats WHERE id = $1", chat_id)


async def take_daily_message(conn: asyncpg.Connection, user_id: UUID, limit: int) -> int | None:
    """Count one AI message for today (the count starts over on a new UTC day); None when
    today's `limit` is used up. One statement, so two requests cannot both take the last one."""
    return await conn.fetchval(
        f"""UPDATE users SET daily_message_count = CASE WHEN last_message_reset_date = {_TODAY}
                                                       THEN daily_message_count + 1 ELSE 1 END,
                             last_message_reset_date = {_TODAY}
             WHERE id = $1 AND (last_message_reset_date IS DISTINCT FROM {_TODAY} OR daily_message_count < $2)
         RETURNING daily_message_count""", user_id, limit)


async def give_back_daily_message(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute(
        f"UPDATE users SET daily_message_count = greatest(daily_message_count - 1, 0)"
        f" WHERE id = $1 AND last_message_reset_date = {_TODAY}", user_id)


async def insert_message(conn: asyncpg.Connection, chat_id: UUID, role: str, parts: list[dict[str, Any]], *,
                         tokens_used: int | None = None, response_time_ms: int | None = None) -> asyncpg.Record:
    return await conn.fetchrow(
        f"INSERT INTO ai_chat_messages (chat_id, role, parts, tokens_used, response_time_ms)"
        f" VALUES ($1, $2, $3, $4, $5) RETURNING {_MESSAGE}",
        chat_id, role, parts, tokens_used, response_time_ms)


async def add_tokens(conn: asyncpg.Connection, chat_id: UUID, tokens: int) -> None:
    await conn.execute("UPDATE ai_chats SET total_tokens = total_tokens + $2 WHERE id = $1", chat_id, tokens)


async def delete_message(conn: asyncpg.Connection, message_id: UUID) -> None:
    await conn.execute("DELETE FROM ai_chat_messages WHERE id = $1", message_id)


async def recent_messages(conn: asyncpg.Connection, chat_id: UUID, limit: int) -> list[asyncpg.Record]:
    """The last `limit` messages, oldest first: the context sent to the model."""
    rows = await conn.fetch(f"SELECT {_MESSAGE} FROM ai_chat_messages WHERE chat_id = $1"
                            f" ORDER BY created_at DESC, id DESC LIMIT $2", chat_id, limit)
    return list(reversed(rows))


async def messages(conn: asyncpg.Connection, chat_id: UUID, *, after: tuple[datetime, UUID] | None,
                   limit: int) -> list[asyncpg.Record]:
    """Oldest first, the order a conversation is read in."""
    p = Params(chat_id)
    conditions = where("chat_id = $1", p.after("created_at", "id", after, ascending=True))
    return await conn.fetch(f"SELECT {_MESSAGE} FROM ai_chat_messages WHERE {conditions}"
                            f" ORDER BY created_at, id LIMIT {p(limit)}", *p.values)


async def message_in_chat(conn: asyncpg.Connection, chat_id: UUID, message_id: UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM ai_chat_messages WHERE id = $1 AND chat_id = $2",
                                    message_id, chat_id))


async def vote(conn: asyncpg.Connection, chat_id: UUID, message_id: UUID, is_upvoted: bool) -> asyncpg.Record:
    return await conn.fetchrow(
        """INSERT INTO ai_chat_votes (chat_id, message_id, is_upvoted) VALUES ($1, $2, $3)
           ON CONFLICT (chat_id, message_id) DO UPDATE SET is_upvoted = $3
           RETURNING chat_id, message_id, is_upvoted""", chat_id, message_id, is_upvoted)


async def unvote(conn: asyncpg.Connection, chat_id: UUID, message_id: UUID) -> bool:
    return bool(await conn.fetchval("DELETE FROM ai_chat_votes WHERE chat_id = $1 AND message_id = $2 RETURNING true",
                                    chat_id, message_id))


async def votes(conn: asyncpg.Connection, chat_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT chat_id, message_id, is_upvoted FROM ai_chat_votes WHERE chat_id = $1"
                            " ORDER BY message_id", chat_id)


async def move_legacy_messages(conn: asyncpg.Connection) -> asyncpg.Record:
    """Move the deprecated Message/Vote rows into the v2 tables (022); (messages_moved, votes_moved)."""
    return await conn.fetchrow("SELECT * FROM migrate_legacy_ai_chat_messages()")
