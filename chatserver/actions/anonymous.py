"""The anonymous feed: posts and comments whose author is hidden, and likes, one per user."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import forbidden, not_found
from chatserver.schemas.anonymous import (
    CommentIn,
    CommentOut,
    CommentPage,
    CommentQuery,
    CommentUpdateIn,
    LikeOut,
    PostIn,
    PostOut,
    PostPage,
    PostQuery,
    PostUpdateIn,
)
from chatserver.schemas.pagination import decode_keyset, keyset_page
from chatserver.store import anonymous
from chatserver.store.anonymous import COMMENTS, POSTS

_NAMES = {POSTS: "post", COMMENTS: "comment"}


async def _mine_to_change(conn: asyncpg.Connection, principal: Principal, kind: tuple, item_id: UUID) -> None:
    author = await anonymous.author_of(conn, kind, item_id, lock=True)
    if author is None:
        raise not_found(_NAMES[kind])
    if author != principal.user_id and not principal.is_admin:
        raise forbidden(f"only its author may change this {_NAMES[kind]}")


async def create_post(svc: Services, principal: Principal, body: PostIn) -> PostOut:
    async with svc.db.transaction("create_anonymous_post") as conn:
        post_id = await anonymous.insert(conn, POSTS, principal.user_id, body.model_dump())
        return PostOut.render(await anonymous.one(conn, POSTS, post_id, principal.user_id))


async def list_posts(svc: Services, principal: Principal, query: PostQuery) -> PostPage:
    after = decode_keyset(query.cursor, datetime, UUID)
    equal = {name: value for name in ("topic", "company_name", "industry")
             if (value := getattr(query, name)) is not None}
    async with svc.db.connection() as conn:
        rows = await anonymous.page(conn, POSTS, principal.user_id, equal=equal, mine=query.mine, after=after,
                                    limit=query.limit + 1)
    rows, next_cursor = keyset_page(rows, query.limit, "created_at", "id")
    return PostPage(items=[PostOut.render(row) for row in rows], next_cursor=next_cursor)


async def get_post(svc: Services, principal: Principal, post_id: UUID) -> PostOut:
    async with svc.db.connection() as conn:
        row = await anonymous.one(conn, POSTS, post_id, principal.user_id)
    if row is None:
        raise not_found("post")
    return PostOut.render(row)


async def update_post(svc: Services, principal: Principal, post_id: UUID, body: PostUpdateIn) -> PostOut:
    async with svc.db.transaction("update_anonymous_post") as conn:
        await _mine_to_change(conn, principal, POSTS, post_id)
        await anonymous.update(conn, POSTS, post_id, body.model_dump(exclude_unset=True))
        return PostOut.render(await anonymous.one(conn, POSTS, post_id, principal.user_id))


async def delete_item(svc: Services, principal: Principal, kind: tuple, item_id: UUID) -> None:
    async with svc.db.transaction(f"delete_anonymous_{_NAMES[kind]}") as conn:
        await _mine_to_change(conn, principal, kind, item_id)
        await anonymous.delete(conn, kind, item_id)


async def comment(svc: Services, principal: Principal, post_id: UUID, body: CommentIn) -> CommentOut:
    async with svc.db.transaction("create_anonymous_comment") as conn:
        # Locked: the post cannot vanish between this check and the insert (its counter changes anyway).
        if await anonymous.author_of(conn, POSTS, post_id, lock=True) is None:
            raise not_found("post")
        comment_id = await anonymous.insert(conn, COMMENTS, principal.user_id,
                                            {**body.model_dump(), "post_id": post_id})
        return CommentOut.render(await anonymous.one(conn, COMMENTS, comment_id, principal.user_id))


async def list_comments(svc: Services, principal: Principal, post_id: UUID, query: CommentQuery) -> CommentPage:
    after = decode_keyset(query.cursor, datetime, UUID)
    async with svc.db.connection() as conn:
        if await anonymous.author_of(conn, POSTS, post_id) is None:
            raise not_found("post")
        rows = await anonymous.page(conn, COMMENTS, principal.user_id, equal={"post_id": post_id}, mine=False,
                                    after=after, limit=query.limit + 1)
    rows, next_cursor = keyset_page(rows, query.limit, "created_at", "id")
    return CommentPage(items=[CommentOut.render(row) for row in rows], next_cursor=next_cursor)


async def update_comment(svc: Services, principal: Principal, comment_id: UUID, body: CommentUpdateIn) -> CommentOut:
    async with svc.db.transaction("update_anonymous_comment") as conn:
        await _mine_to_change(conn, principal, COMMENTS, comment_id)
        await anonymous.update(conn, COMMENTS, comment_id, body.model_dump(exclude_unset=True))
        return CommentOut.render(await anonymous.one(conn, COMMENTS, comment_id, principal.user_id))


async def like(svc: Services, principal: Principal, kind: tuple, item_id: UUID, liked: bool) -> LikeOut:
    """Idempotent: liking twice is one like, unliking what was not liked changes nothing."""
    async with svc.db.transaction(f"like_anonymous_{_NAMES[kind]}") as conn:
        if await anonymous.author_of(conn, kind, item_id, lock=True) is None:
            raise not_found(_NAMES[kind])
        count = await anonymous.like(conn, kind, item_id, principal.user_id, liked)
    return LikeOut(liked=liked, likes_count=count)
