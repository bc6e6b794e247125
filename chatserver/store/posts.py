"""SmileFactory posts, their comments and likes (028). Counters are kept by triggers.

Every read takes the viewer as `$1` and is limited by `may_see`, the one place that decides
who may see an author's content, and by `READABLE_POST` built on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store import embeddings
from chatserver.store.connections import blocked, connected
from chatserver.store.params import Params, where

POST_FIELDS = frozenset({"title", "content", "post_type", "category", "tags", "visibility", "status",
                         "featured_image_url", "media_urls"})
COMMENT_FIELDS = frozenset({"content"})

# The filters a post list takes, by name; identifiers only from here.
POST_FILTERS = {
    "author_id": "p.author_id = {}",
    "post_type": "p.post_type = {}",
    "category": "p.category = {}",
    "status": "p.status = {}",
    "tags": "p.tags @> {}::text[]",       # every one of these tags (GIN)
    "any_tags": "p.tags && {}::text[]",   # at least one of them (GIN)
}


def may_see(viewer: str, author: str, visibility: str = "'public'") -> str:
    """The condition under which `viewer` may see what `author` made for this audience: the one
    place that decides it, for posts (with their visibility) and comments (whose audience is
    their post's, so only the author matters here). A block between the two, either way round,
    hides everything the author made from the viewer. Arguments are SQL expressions of the query
    that uses it."""
    return (f"({author} = {viewer} OR (NOT {blocked(f'{viewer}::uuid', author)} AND ({visibility} = 'public'"
            f" OR ({visibility} = 'connections' AND {connected(f'{viewer}::uuid', author)}))))")


# The viewer's own posts in every status; others' once published, to the audience they chose.
READABLE_POST = f"(p.author_id = $1 OR (p.status = 'published' AND {may_see('$1', 'p.author_id', 'p.visibility')}))"
# A comment is read where its post is; a deleted one only while it holds replies in place.
READABLE_COMMENT = (f"({READABLE_POST} AND {may_see('$1', 'c.author_id')}"
                    " AND (NOT c.is_deleted OR c.reply_count > 0))")


def _post_select(extra: str = "") -> str:
    """The post columns, and `extra` ones before them."""
    return f"""SELECT {extra} p.id, p.author_id, p.title, p.content, p.post_type, p.category, p.tags, p.visibility,
                      p.status, p.featured_image_url, p.media_urls, p.like_count, p.comment_count, p.share_count,
                      p.view_count, p.created_at, p.updated_at, p.published_at, p.listed_at,
                      p.author_id = $1 AS is_mine,
                      EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked_by_me,
                      u.username AS author_username, u.display_name AS author_display_name
                 FROM posts p JOIN users u ON u.id = p.author_id"""


_COMMENT = """SELECT c.id, c.post_id, c.parent_id, c.author_id, c.content, c.is_deleted, c.like_count, c.reply_count,
                     c.created_at, c.updated_at,
                     c.author_id = $1 AS is_mine,
                     EXISTS (SELECT 1 FROM comment_likes l WHERE l.comment_id = c.id AND l.user_id = $1) AS liked_by_me,
                     u.username AS author_username, u.display_name AS author_display_name
                FROM comments c JOIN posts p ON p.id = c.post_id JOIN users u ON u.id = c.author_id"""


def _filters(p: Params, filters: Mapping[str, Any]) -> list[str | None]:
    return [p.when(value, POST_FILTERS[name]) for name, value in filters.items()]


async def post(conn: asyncpg.Connection, viewer_id: UUID, post_id: UUID, *,
               unrestricted: bool = False) -> asyncpg.Record | None:
    """The post if the viewer may read it (whatever it is when `unrestricted`: for who just changed it)."""
    readable = "TRUE" if unrestricted else READABLE_POST
    return await conn.fetchrow(f"{_post_select()} WHERE p.id = $2 AND {readable}", viewer_id, post_id)


async def posts(conn: asyncpg.Connection, viewer_id: UUID, filters: Mapping[str, Any], *,
                after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Readable posts, newest first by when they were published (or written, for drafts)."""
    p = Params(viewer_id)
    conditions = where(READABLE_POST, *_filters(p, filters), p.after("p.listed_at", "p.id", after))
    return await conn.fetch(f"{_post_select()} WHERE {conditions} ORDER BY p.listed_at DESC, p.id DESC LIMIT {p(limit)}",
                            *p.values)


# ts_rank as a whole number (millionths), so that a cursor holds it exactly.
_SCORE = "(ts_rank(p.search, q)::float8 * 1000000)::bigint"


async def search(conn: asyncpg.Connection, viewer_id: UUID, text: str, filters: Mapping[str, Any], *,
                 after: tuple[int, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Readable posts matching `text` (web search syntax), best first, then by id; each with its `score`."""
    p = Params(viewer_id, text)
    conditions = where("p.search @@ q", READABLE_POST, *_filters(p, filters), p.after(_SCORE, "p.id", after))
    return await conn.fetch(
        f"{_post_select(f'{_SCORE} AS score,')} CROSS JOIN websearch_to_tsquery('english', $2) q WHERE {conditions}"
        f" ORDER BY score DESC, p.id DESC LIMIT {p(limit)}", *p.values)


async def similar(conn: asyncpg.Connection, viewer_id: UUID, post_id: UUID, vector: str, model: str, *,
                  limit: int) -> list[asyncpg.Record]:
    """Published posts the viewer may read, other than `post_id`, nearest to `vector` first; each with its
    cosine `distance`."""
    p = Params(viewer_id)
    join, distance = embeddings.nearest(p, "post", "p.id", vector, model)
    conditions = where("p.status = 'published'", READABLE_POST, f"p.id <> {p(post_id)}")
    return await conn.fetch(f"{_post_select(f'{distance} AS distance,')} {join} WHERE {conditions}"
                            f" ORDER BY {distance} LIMIT {p(limit)}", *p.values)


async def lock_post(conn: asyncpg.Connection, viewer_id: UUID, post_id: UUID) -> asyncpg.Record | None:
    """The post's author, status and first publication, and whether the viewer may read it; locked
    against other writes (not against the foreign-key checks of new comments and likes)."""
    return await conn.fetchrow(
        f"SELECT p.author_id, p.status, p.published_at, {READABLE_POST} AS readable"
        " FROM posts p WHERE p.id = $2 FOR NO KEY UPDATE", viewer_id, post_id)


async def insert_post(conn: asyncpg.Connection, author_id: UUID, values: Mapping[str, Any]) -> UUID:
    columns = [name for name in values if name in POST_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    return await conn.fetchval(
        f"INSERT INTO posts (author_id, {', '.join(columns)}) VALUES ($1, {placeholders}) RETURNING id",
        author_id, *(values[name] for name in columns))


async def update_post(conn: asyncpg.Connection, post_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(post_id)
    if assignments := p.assignments(changes, POST_FIELDS):
        await conn.execute(f"UPDATE posts SET {assignments}, updated_at = now() WHERE id = $1", *p.values)


async def delete_post(conn: asyncpg.Connection, post_id: UUID) -> None:
    await conn.execute("DELETE FROM posts WHERE id = $1", post_id)


async def like_post(conn: asyncpg.Connection, post_id: UUID, user_id: UUID, liked: bool) -> int:
    """Like or unlike once per user; the answer is the counter after the change."""
    if liked:
        await conn.execute("INSERT INTO post_likes (post_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           post_id, user_id)
    else:
        await conn.execute("DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2", post_id, user_id)
    return await conn.fetchval("SELECT like_count FROM posts WHERE id = $1", post_id)


# What may be counted by one more, by name.
_COUNTERS = {"views": "view_count", "shares": "share_count"}


async def count(conn: asyncpg.Connection, post_id: UUID, counter: str) -> asyncpg.Record:
    """One more view or share; the post's counters after it."""
    column = _COUNTERS[counter]
    return await conn.fetchrow(
        f"UPDATE posts SET {column} = {column} + 1 WHERE id = $1"
        " RETURNING like_count, comment_count, share_count, view_count", post_id)


async def comment(conn: asyncpg.Connection, viewer_id: UUID, comment_id: UUID, *,
                  unrestricted: bool = False) -> asyncpg.Record | None:
    """The comment if the viewer may read it (whatever it is when `unrestricted`: for who just changed it)."""
    readable = "TRUE" if unrestricted else READABLE_COMMENT
    return await conn.fetchrow(f"{_COMMENT} WHERE c.id = $2 AND {readable}", viewer_id, comment_id)


async def comments(conn: asyncpg.Connection, viewer_id: UUID, post_id: UUID, parent_id: UUID | None, *,
                   after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """One level of a post's thread (the top when `parent_id` is None), oldest first."""
    p = Params(viewer_id, post_id)
    level = "c.parent_id IS NULL" if parent_id is None else f"c.parent_id = {p(parent_id)}"
    conditions = where("c.post_id = $2", level, READABLE_COMMENT,
                       p.after("c.created_at", "c.id", after, ascending=True))
    return await conn.fetch(f"{_COMMENT} WHERE {conditions} ORDER BY c.created_at, c.id LIMIT {p(limit)}", *p.values)


async def post_of_comment(conn: asyncpg.Connection, comment_id: UUID) -> UUID | None:
    return await conn.fetchval("SELECT post_id FROM comments WHERE id = $1", comment_id)


async def lock_comment(conn: asyncpg.Connection, viewer_id: UUID, comment_id: UUID) -> asyncpg.Record | None:
    """The comment's post, author and state, and whether the viewer may read it; locked against other
    writes. A write that also changes the post's counters locks the post first (`lock_post`)."""
    return await conn.fetchrow(
        f"SELECT c.post_id, c.author_id, c.is_deleted, {READABLE_COMMENT} AS readable"
        " FROM comments c JOIN posts p ON p.id = c.post_id WHERE c.id = $2 FOR NO KEY UPDATE OF c",
        viewer_id, comment_id)


class ParentNotOnPost(Exception):
    pass


async def insert_comment(conn: asyncpg.Connection, post_id: UUID, author_id: UUID, parent_id: UUID | None,
                         content: str) -> UUID:
    try:
        # A savepoint, so that the refusal leaves the transaction usable for the caller's answer.
        async with conn.transaction():
            return await conn.fetchval(
                "INSERT INTO comments (post_id, author_id, parent_id, content) VALUES ($1, $2, $3, $4) RETURNING id",
                post_id, author_id, parent_id, content)
    except asyncpg.ForeignKeyViolationError as exc:
        if exc.constraint_name == "comments_parent_on_same_post":
            raise ParentNotOnPost from None
        raise


async def update_comment(conn: asyncpg.Connection, comment_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(comment_id)
    if assignments := p.assignments(changes, COMMENT_FIELDS):
        await conn.execute(f"UPDATE comments SET {assignments}, updated_at = now() WHERE id = $1", *p.values)


async def delete_comment(conn: asyncpg.Connection, comment_id: UUID) -> None:
    """A tombstone: the text goes, the place in the thread stays."""
    await conn.execute("UPDATE comments SET is_deleted = true, content = '', updated_at = now() WHERE id = $1",
                       comment_id)


async def like_comment(conn: asyncpg.Connection, comment_id: UUID, user_id: UUID, liked: bool) -> int:
    if liked:
        await conn.execute(
            "INSERT INTO comment_likes (comment_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            comment_id, user_id)
    else:
        await conn.execute("DELETE FROM comment_likes WHERE comment_id = $1 AND user_id = $2", comment_id, user_id)
    return await conn.fetchval("SELECT like_count FROM comments WHERE id = $1", comment_id)
