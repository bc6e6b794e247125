"""The anonymous feed: posts, comments and likes. Counters are kept by triggers (023)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

# Tables and their like tables; identifiers only from here.
POSTS = ("anonymous_posts", "anonymous_post_likes", "post_id")
COMMENTS = ("anonymous_comments", "anonymous_comment_likes", "comment_id")
POST_FIELDS = frozenset({"content", "image_url", "is_anonymous", "company_name", "industry", "topic"})
COMMENT_FIELDS = frozenset({"content", "is_anonymous"})


def _select(kind: tuple[str, str, str]) -> str:
    table, likes, key = kind
    extra = ("t.image_url, t.company_name, t.industry, t.topic, t.comments_count," if table == POSTS[0]
             else "t.post_id,")
    return f"""SELECT t.id, t.user_id, t.content, t.is_anonymous, t.likes_count, {extra} t.created_at, t.updated_at,
                      t.user_id = $1 AS is_mine,
                      EXISTS (SELECT 1 FROM {likes} l WHERE l.{key} = t.id AND l.user_id = $1) AS liked_by_me,
                      coalesce(p.anonymous_name, 'Anonymous') AS author_anonymous_name,
                      u.username AS author_username, u.display_name AS author_display_name
                 FROM {table} t JOIN users u ON u.id = t.user_id LEFT JOIN user_profiles p ON p.user_id = t.user_id"""


async def one(conn: asyncpg.Connection, kind: tuple[str, str, str], item_id: UUID,
              viewer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_select(kind)} WHERE t.id = $2", viewer_id, item_id)


async def page(conn: asyncpg.Connection, kind: tuple[str, str, str], viewer_id: UUID, *,
               equal: Mapping[str, Any], mine: bool, after: tuple[datetime, UUID] | None,
               limit: int) -> list[asyncpg.Record]:
    """Newest first; `equal` names columns from POST_FIELDS or post_id only."""
    assert all(column in POST_FIELDS or column == "post_id" for column in equal), equal
    p = Params(viewer_id)
    conditions = where(*(f"t.{column} = {p(value)}" for column, value in equal.items()),
                       "t.user_id = $1" if mine else None, p.after("t.created_at", "t.id", after))
    return await conn.fetch(f"{_select(kind)} WHERE {conditions}"
                            f" ORDER BY t.created_at DESC, t.id DESC LIMIT {p(limit)}", *p.values)


async def insert(conn: asyncpg.Connection, kind: tuple[str, str, str], user_id: UUID,
                 values: Mapping[str, Any]) -> UUID:
    allowed = POST_FIELDS | {"post_id"}
    columns = [name for name in values if name in allowed]
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    return await conn.fetchval(
        f"INSERT INTO {kind[0]} (user_id, {', '.join(columns)}) VALUES ($1, {placeholders}) RETURNING id",
        user_id, *(values[name] for name in columns))


async def author_of(conn: asyncpg.Connection, kind: tuple[str, str, str], item_id: UUID, *,
                    lock: bool = False) -> UUID | None:
    return await conn.fetchval(f"SELECT user_id FROM {kind[0]} WHERE id = $1" + (" FOR UPDATE" if lock else ""),
                               item_id)


async def update(conn: asyncpg.Connection, kind: tuple[str, str, str], item_id: UUID,
                 changes: Mapping[str, Any]) -> None:
    allowed = POST_FIELDS if kind is POSTS else COMMENT_FIELDS
    p = Params(item_id)
    if assignments := p.assignments(changes, allowed):
        await conn.execute(f"UPDATE {kind[0]} SET {assignments}, updated_at = now() WHERE id = $1", *p.values)


async def delete(conn: asyncpg.Connection, kind: tuple[str, str, str], item_id: UUID) -> None:
    await conn.execute(f"DELETE FROM {kind[0]} WHERE id = $1", item_id)


async def like(conn: asyncpg.Connection, kind: tuple[str, str, str], item_id: UUID, user_id: UUID,
               liked: bool) -> int:
    """Like or unlike once per user; the answer is the counter after the change."""
    table, likes, key = kind
    if liked:
        await conn.execute(f"INSERT INTO {likes} ({key}, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           item_id, user_id)
    else:
        await conn.execute(f"DELETE FROM {likes} WHERE {key} = $1 AND user_id = $2", item_id, user_id)
    return await conn.fetchval(f"SELECT likes_count FROM {table} WHERE id = $1", item_id)
