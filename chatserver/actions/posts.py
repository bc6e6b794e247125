"""SmileFactory posts and their threaded comments.

Who may read what is decided in the store (`store.posts.may_see`). Here: a post or comment the
caller may not read is `not_found`; one they may read but did not write is `forbidden` to change
(admins may change any); likes, comments, views and shares are for published posts only.
Lock order, so that concurrent writes cannot deadlock: the post, then the comment.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.schemas.pagination import PageQuery, by_columns, fetch_page
from chatserver.schemas.posts import (
    Comment,
    CommentCreate,
    CommentList,
    CommentUpdate,
    LikeState,
    Post,
    PostCounts,
    PostCreate,
    PostHit,
    PostHits,
    PostList,
    PostListQuery,
    PostSearchQuery,
    PostUpdate,
)
from chatserver.store import posts


async def _post_to_change(conn: asyncpg.Connection, principal: Principal, post_id: UUID) -> asyncpg.Record:
    row = await posts.lock_post(conn, principal.user_id, post_id)
    if row is None or not (row["readable"] or principal.is_admin):
        raise not_found("post")
    if row["author_id"] != principal.user_id and not principal.is_admin:
        raise forbidden("only its author may change this post")
    return row


async def _post_to_engage(conn: asyncpg.Connection, principal: Principal, post_id: UUID) -> asyncpg.Record:
    row = await posts.lock_post(conn, principal.user_id, post_id)
    if row is None or not row["readable"]:
        raise not_found("post")
    if row["status"] != "published":
        raise conflict("the post is not published")
    return row


async def create_post(svc: Services, principal: Principal, body: PostCreate) -> Post:
    async with svc.db.transaction("create_post") as conn:
        post_id = await posts.insert_post(conn, principal.user_id, body.model_dump())
        return Post.render(await posts.post(conn, principal.user_id, post_id))


async def get_post(svc: Services, principal: Principal, post_id: UUID) -> Post:
    async with svc.db.connection() as conn:
        row = await posts.post(conn, principal.user_id, post_id)
    if row is None:
        raise not_found("post")
    return Post.render(row)


async def list_posts(svc: Services, principal: Principal, query: PostListQuery) -> PostList:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: posts.posts(
            conn, principal.user_id, query.filters(), after=after, limit=limit), by_columns("listed_at", "id"))
    return PostList.of(window, Post.render)


async def search_posts(svc: Services, principal: Principal, query: PostSearchQuery) -> PostHits:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: posts.search(
            conn, principal.user_id, query.q, query.filters(), after=after, limit=limit), by_columns("score", "id"))
    return PostHits.of(window, PostHit.render)


async def update_post(svc: Services, principal: Principal, post_id: UUID, body: PostUpdate) -> Post:
    changes = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_post") as conn:
        row = await _post_to_change(conn, principal, post_id)
        if changes.get("status") == "archived" and row["published_at"] is None:
            raise conflict("only a post that was published can be archived")
        await posts.update_post(conn, post_id, changes)
        return Post.render(await posts.post(conn, principal.user_id, post_id, unrestricted=True))


async def delete_post(svc: Services, principal: Principal, post_id: UUID) -> None:
    async with svc.db.transaction("delete_post") as conn:
        await _post_to_change(conn, principal, post_id)
        await posts.delete_post(conn, post_id)


async def like_post(svc: Services, principal: Principal, post_id: UUID, liked: bool) -> LikeState:
    """Idempotent: liking twice is one like, unliking what was not liked changes nothing."""
    async with svc.db.transaction("like_post") as conn:
        await _post_to_engage(conn, principal, post_id)
        return LikeState(liked=liked, like_count=await posts.like_post(conn, post_id, principal.user_id, liked))


async def count(svc: Services, principal: Principal, post_id: UUID, counter: Literal["views", "shares"]) -> PostCounts:
    """One more view or share: each call counts."""
    async with svc.db.transaction(f"count_post_{counter}") as conn:
        await _post_to_engage(conn, principal, post_id)
        return PostCounts.from_row(await posts.count(conn, post_id, counter))


async def create_comment(svc: Services, principal: Principal, post_id: UUID, body: CommentCreate) -> Comment:
    async with svc.db.transaction("create_comment") as conn:
        await _post_to_engage(conn, principal, post_id)
        if body.parent_id is not None:
            parent = await posts.lock_comment(conn, principal.user_id, body.parent_id)
            if parent is None or parent["post_id"] != post_id:
                raise invalid({"parentId": "not a comment on this post"})
            if parent["is_deleted"]:
                raise conflict("the comment replied to was deleted")
            if not parent["readable"]:
                raise invalid({"parentId": "not a comment on this post"})
        try:
            comment_id = await posts.insert_comment(conn, post_id, principal.user_id, body.parent_id, body.content)
        except posts.ParentNotOnPost:
            raise invalid({"parentId": "not a comment on this post"}) from None
        return Comment.render(await posts.comment(conn, principal.user_id, comment_id))


async def get_comment(svc: Services, principal: Principal, comment_id: UUID) -> Comment:
    async with svc.db.connection() as conn:
        row = await posts.comment(conn, principal.user_id, comment_id)
    if row is None:
        raise not_found("comment")
    return Comment.render(row)


async def list_comments(svc: Services, principal: Principal, post_id: UUID, query: PageQuery) -> CommentList:
    """The top of the post's thread, oldest first."""
    async with svc.db.connection() as conn:
        if await posts.post(conn, principal.user_id, post_id) is None:
            raise not_found("post")
        window = await fetch_page(query, lambda after, limit: posts.comments(
            conn, principal.user_id, post_id, None, after=after, limit=limit))
    return CommentList.of(window, Comment.render)


async def list_replies(svc: Services, principal: Principal, comment_id: UUID, query: PageQuery) -> CommentList:
    """A comment's direct replies, oldest first."""
    async with svc.db.connection() as conn:
        parent = await posts.comment(conn, principal.user_id, comment_id)
        if parent is None:
            raise not_found("comment")
        window = await fetch_page(query, lambda after, limit: posts.comments(
            conn, principal.user_id, parent["post_id"], comment_id, after=after, limit=limit))
    return CommentList.of(window, Comment.render)


async def _comment_to_change(conn: asyncpg.Connection, principal: Principal, comment_id: UUID) -> None:
    row = await posts.lock_comment(conn, principal.user_id, comment_id)
    if row is None or row["is_deleted"] or not (row["readable"] or principal.is_admin):
        raise not_found("comment")
    if row["author_id"] != principal.user_id and not principal.is_admin:
        raise forbidden("only its author may change this comment")


async def update_comment(svc: Services, principal: Principal, comment_id: UUID, body: CommentUpdate) -> Comment:
    async with svc.db.transaction("update_comment") as conn:
        await _comment_to_change(conn, principal, comment_id)
        await posts.update_comment(conn, comment_id, body.model_dump(exclude_unset=True))
        return Comment.render(await posts.comment(conn, principal.user_id, comment_id, unrestricted=True))


async def delete_comment(svc: Services, principal: Principal, comment_id: UUID) -> None:
    """The comment becomes a tombstone that keeps its replies in the thread; without replies it is
    no longer shown at all."""
    async with svc.db.transaction("delete_comment") as conn:
        post_id = await posts.post_of_comment(conn, comment_id)
        if post_id is None or await posts.lock_post(conn, principal.user_id, post_id) is None:
            raise not_found("comment")
        await _comment_to_change(conn, principal, comment_id)
        await posts.delete_comment(conn, comment_id)


async def like_comment(svc: Services, principal: Principal, comment_id: UUID, liked: bool) -> LikeState:
    async with svc.db.transaction("like_comment") as conn:
        row = await posts.lock_comment(conn, principal.user_id, comment_id)
        if row is None or row["is_deleted"] or not row["readable"]:
            raise not_found("comment")
        return LikeState(liked=liked, like_count=await posts.like_comment(conn, comment_id, principal.user_id, liked))
