"""The anonymous feed: posts and comments whose author is hidden, and likes, one per user."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import forbidden, not_found
from chatserver.schemas.anonymous import (
    CommentIn,
    CommentOut,
    CommentPage,
    CommentUpdateIn,
    LikeOut,
    PostIn,
    PostOut,
    PostPage,
    PostQuery,
    PostUpdateIn,
)
from chatserver.schemas.pagination import PageQuery, fetch_page
from chatserver.store import anonymous
from chatserver.store.anonymous import COMMENTS, POSTS

# What the HTTP layer calls each kind of item, and the table behind it.
Item = Literal["post", "comment"]
_TABLES = {"post": POSTS, "comment": COMMENTS}


async def _mine_to_change(conn: asyncpg.Connection, principal: Principal, kind: Item, item_id: UUID) -> None:
    author = await anonymous.author_of(conn, _TABLES[kind], item_id, lock=True)
    if author is None:
        raise not_found(kind)
    if author != principal.user_id and not principal.is_admin:
        raise forbidden(f"only its author may change this {kind}")


async def create_post(svc: Services, principal: Principal, body: PostIn) -> PostOut:
    async with svc.db.transaction("create_anonymous_post") as conn:
        post_id = await anonymous.insert(conn, POSTS, principal.user_id, body.model_dump())
        return PostOut.render(await anonymous.one(conn, POSTS, post_id, principal.user_id))


async def list_posts(svc: Services, principal: Principal, query: PostQuery) -> PostPage:
    equal = {name: value for name in ("topic", "company_name", "industry")
             if (value := getattr(query, name)) is not None}
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: anonymous.page(
            conn, POSTS, principal.user_id, equal=equal, mine=query.mine, after=after, limit=limit))
    return PostPage.of(window, PostOut.render)


async def get_post(svc: Services, principal: Principal, post_id: UUID) -> PostOut:
    async with svc.db.connection() as conn:
        row = await anonymous.one(conn, POSTS, post_id, principal.user_id)
    if row is None:
        raise not_found("post")
    return PostOut.render(row)


async def update_post(svc: Services, principal: Principal, post_id: UUID, body: PostUpdateIn) -> PostOut:
    async with svc.db.transaction("update_anonymous_post") as conn:
        await _mine_to_change(conn, principal, "post", post_id)
        await anonymous.update(conn, POSTS, post_id, body.model_dump(exclude_unset=True))
        return PostOut.render(await anonymous.one(conn, POSTS, post_id, principal.user_id))


async def delete_item(svc: Services, principal: Principal, kind: Item, item_id: UUID) -> None:
    async with svc.db.transaction(f"delete_anonymous_{kind}") as conn:
        await _mine_to_change(conn, principal, kind, item_id)
        await anonymous.delete(conn, _TABLES[kind], item_id)


async def comment(svc: Services, principal: Principal, post_id: UUID, body: CommentIn) -> CommentOut:
    async with svc.db.transaction("create_anonymous_comment") as conn:
        # Locked: the post cannot vanish between this check and the insert (its counter changes anyway).
        if await anonymous.author_of(conn, POSTS, post_id, lock=True) is None:
            raise not_found("post")
        comment_id = await anonymous.insert(conn, COMMENTS, principal.user_id,
                                            {**body.model_dump(), "post_id": post_id})
        return CommentOut.render(await anonymous.one(conn, COMMENTS, comment_id, principal.user_id))


async def list_comments(svc: Services, principal: Principal, post_id: UUID, query: PageQuery) -> CommentPage:
    async def comments(after: tuple | None, limit: int) -> list[asyncpg.Record]:
        async with svc.db.connection() as conn:
            if await anonymous.author_of(conn, POSTS, post_id) is None:
                raise not_found("post")
            return await anonymous.page(conn, COMMENTS, principal.user_id, equal={"post_id": post_id}, mine=False,
                                        after=after, limit=limit)

    return CommentPage.of(await fetch_page(query, comments), CommentOut.render)


async def update_comment(svc: Services, principal: Principal, comment_id: UUID, body: CommentUpdateIn) -> CommentOut:
    async with svc.db.transaction("update_anonymous_comment") as conn:
        await _mine_to_change(conn, principal, "comment", comment_id)
        await anonymous.update(conn, COMMENTS, comment_id, body.model_dump(exclude_unset=True))
        return CommentOut.render(await anonymous.one(conn, COMMENTS, comment_id, principal.user_id))


async def like(svc: Services, principal: Principal, kind: Item, item_id: UUID, liked: bool) -> LikeOut:
    """Idempotent: liking twice is one like, unliking what was not liked changes nothing."""
    async with svc.db.transaction(f"like_anonymous_{kind}") as conn:
        if await anonymous.author_of(conn, _TABLES[kind], item_id, lock=True) is None:
            raise not_found(kind)
        count = await anonymous.like(conn, _TABLES[kind], item_id, principal.user_id, liked)
    return LikeOut(liked=liked, likes_count=count)
