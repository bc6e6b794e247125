"""The anonymous feed: posts, comments and likes."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import anonymous
from chatserver.http.api import Api, Context, Reply
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
from chatserver.schemas.pagination import PageQuery

api = Api()
TAGS = ("anonymous feed",)
CHANGE_ERRORS = ("not_found", "forbidden")


@api.post("/anonymous-posts", summary="Post to the feed (anonymously unless isAnonymous is false)", tags=TAGS,
          body=PostIn, response=PostOut, status=201)
async def create_anonymous_post(ctx: Context, body: PostIn) -> PostOut:
    return await anonymous.create_post(ctx.svc, ctx.user, body)


@api.get("/anonymous-posts", summary="The feed, newest first", tags=TAGS, query=PostQuery, response=PostPage)
async def list_anonymous_posts(ctx: Context, query: PostQuery) -> PostPage:
    return await anonymous.list_posts(ctx.svc, ctx.user, query)


@api.get("/anonymous-posts/{id}", summary="A post", tags=TAGS, response=PostOut, errors=("not_found",))
async def get_anonymous_post(ctx: Context, id: UUID) -> PostOut:
    return await anonymous.get_post(ctx.svc, ctx.user, id)


@api.patch("/anonymous-posts/{id}", summary="Change your post", tags=TAGS, body=PostUpdateIn, response=PostOut,
           errors=CHANGE_ERRORS)
async def update_anonymous_post(ctx: Context, id: UUID, body: PostUpdateIn) -> PostOut:
    return await anonymous.update_post(ctx.svc, ctx.user, id, body)


@api.delete("/anonymous-posts/{id}", summary="Delete your post", tags=TAGS, status=204, errors=CHANGE_ERRORS)
async def delete_anonymous_post(ctx: Context, id: UUID) -> Reply:
    await anonymous.delete_item(ctx.svc, ctx.user, "post", id)
    return Reply(None, status=204)


@api.put("/anonymous-posts/{id}/like", summary="Like a post (once; again changes nothing)", tags=TAGS,
         response=LikeOut, errors=("not_found",))
async def like_anonymous_post(ctx: Context, id: UUID) -> LikeOut:
    return await anonymous.like(ctx.svc, ctx.user, "post", id, liked=True)


@api.delete("/anonymous-posts/{id}/like", summary="Take your like back", tags=TAGS, response=LikeOut,
            errors=("not_found",))
async def unlike_anonymous_post(ctx: Context, id: UUID) -> LikeOut:
    return await anonymous.like(ctx.svc, ctx.user, "post", id, liked=False)


@api.post("/anonymous-posts/{id}/comments", summary="Comment on a post", tags=TAGS, body=CommentIn,
          response=CommentOut, status=201, errors=("not_found",))
async def create_anonymous_comment(ctx: Context, id: UUID, body: CommentIn) -> CommentOut:
    return await anonymous.comment(ctx.svc, ctx.user, id, body)


@api.get("/anonymous-posts/{id}/comments", summary="A post's comments, newest first", tags=TAGS,
         query=PageQuery, response=CommentPage, errors=("not_found",))
async def list_anonymous_comments(ctx: Context, id: UUID, query: PageQuery) -> CommentPage:
    return await anonymous.list_comments(ctx.svc, ctx.user, id, query)


@api.patch("/anonymous-comments/{id}", summary="Change your comment", tags=TAGS, body=CommentUpdateIn,
           response=CommentOut, errors=CHANGE_ERRORS)
async def update_anonymous_comment(ctx: Context, id: UUID, body: CommentUpdateIn) -> CommentOut:
    return await anonymous.update_comment(ctx.svc, ctx.user, id, body)


@api.delete("/anonymous-comments/{id}", summary="Delete your comment", tags=TAGS, status=204, errors=CHANGE_ERRORS)
async def delete_anonymous_comment(ctx: Context, id: UUID) -> Reply:
    await anonymous.delete_item(ctx.svc, ctx.user, "comment", id)
    return Reply(None, status=204)


@api.put("/anonymous-comments/{id}/like", summary="Like a comment (once)", tags=TAGS, response=LikeOut,
         errors=("not_found",))
async def like_anonymous_comment(ctx: Context, id: UUID) -> LikeOut:
    return await anonymous.like(ctx.svc, ctx.user, "comment", id, liked=True)


@api.delete("/anonymous-comments/{id}/like", summary="Take your like back", tags=TAGS, response=LikeOut,
            errors=("not_found",))
async def unlike_anonymous_comment(ctx: Context, id: UUID) -> LikeOut:
    return await anonymous.like(ctx.svc, ctx.user, "comment", id, liked=False)
