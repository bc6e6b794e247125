"""SmileFactory posts: ranked search, tags, likes, views, shares and threaded comments."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import posts
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.pagination import PageQuery
from chatserver.schemas.posts import (
    Comment,
    CommentCreate,
    CommentList,
    CommentUpdate,
    LikeState,
    Post,
    PostCounts,
    PostCreate,
    PostHits,
    PostList,
    PostListQuery,
    PostSearchQuery,
    PostUpdate,
)

api = Api()
TAGS = ("posts",)
CHANGE_ERRORS = ("not_found", "forbidden")
ENGAGE_ERRORS = ("not_found", "conflict")


@api.post("/posts", summary="Write a post (published unless status is draft)", tags=TAGS, body=PostCreate,
          response=Post, status=201)
async def create_post(ctx: Context, body: PostCreate) -> Post:
    return await posts.create_post(ctx.svc, ctx.user, body)


@api.get("/posts", summary="Posts you may see, newest first: published ones for their audience, and all of yours",
         tags=TAGS, query=PostListQuery, response=PostList)
async def list_posts(ctx: Context, query: PostListQuery) -> PostList:
    return await posts.list_posts(ctx.svc, ctx.user, query)


@api.get("/posts/search", summary="Full-text search over the posts you may see, best match first", tags=TAGS,
         query=PostSearchQuery, response=PostHits)
async def search_posts(ctx: Context, query: PostSearchQuery) -> PostHits:
    return await posts.search_posts(ctx.svc, ctx.user, query)


@api.get("/posts/{id}", summary="A post", tags=TAGS, response=Post, errors=("not_found",))
async def get_post(ctx: Context, id: UUID) -> Post:
    return await posts.get_post(ctx.svc, ctx.user, id)


@api.patch("/posts/{id}", summary="Change your post (publishing it the first time sets publishedAt)", tags=TAGS,
           body=PostUpdate, response=Post, errors=(*CHANGE_ERRORS, "conflict"))
async def update_post(ctx: Context, id: UUID, body: PostUpdate) -> Post:
    return await posts.update_post(ctx.svc, ctx.user, id, body)


@api.delete("/posts/{id}", summary="Delete your post and its comments", tags=TAGS, status=204,
            errors=CHANGE_ERRORS)
async def delete_post(ctx: Context, id: UUID) -> Reply:
    await posts.delete_post(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.put("/posts/{id}/like", summary="Like a post (once; again changes nothing)", tags=TAGS, response=LikeState,
         errors=ENGAGE_ERRORS)
async def like_post(ctx: Context, id: UUID) -> LikeState:
    return await posts.like_post(ctx.svc, ctx.user, id, liked=True)


@api.delete("/posts/{id}/like", summary="Take your like back", tags=TAGS, response=LikeState, errors=ENGAGE_ERRORS)
async def unlike_post(ctx: Context, id: UUID) -> LikeState:
    return await posts.like_post(ctx.svc, ctx.user, id, liked=False)


@api.post("/posts/{id}/views", summary="Count a view of a post", tags=TAGS, response=PostCounts,
          errors=ENGAGE_ERRORS)
async def view_post(ctx: Context, id: UUID) -> PostCounts:
    return await posts.count(ctx.svc, ctx.user, id, "views")


@api.post("/posts/{id}/shares", summary="Count a share of a post", tags=TAGS, response=PostCounts,
          errors=ENGAGE_ERRORS)
async def share_post(ctx: Context, id: UUID) -> PostCounts:
    return await posts.count(ctx.svc, ctx.user, id, "shares")


@api.post("/posts/{id}/comments", summary="Comment on a post, or reply to one of its comments (parentId)",
          tags=TAGS, body=CommentCreate, response=Comment, status=201, errors=ENGAGE_ERRORS)
async def create_comment(ctx: Context, id: UUID, body: CommentCreate) -> Comment:
    return await posts.create_comment(ctx.svc, ctx.user, id, body)


@api.get("/posts/{id}/comments", summary="The top level of a post's thread, oldest first", tags=TAGS,
         query=PageQuery, response=CommentList, errors=("not_found",))
async def list_comments(ctx: Context, id: UUID, query: PageQuery) -> CommentList:
    return await posts.list_comments(ctx.svc, ctx.user, id, query)


@api.get("/comments/{id}", summary="A comment", tags=TAGS, response=Comment, errors=("not_found",))
async def get_comment(ctx: Context, id: UUID) -> Comment:
    return await posts.get_comment(ctx.svc, ctx.user, id)


@api.get("/comments/{id}/replies", summary="A comment's replies, oldest first", tags=TAGS, query=PageQuery,
         response=CommentList, errors=("not_found",))
async def list_replies(ctx: Context, id: UUID, query: PageQuery) -> CommentList:
    return await posts.list_replies(ctx.svc, ctx.user, id, query)


@api.patch("/comments/{id}", summary="Change your comment", tags=TAGS, body=CommentUpdate, response=Comment,
           errors=CHANGE_ERRORS)
async def update_comment(ctx: Context, id: UUID, body: CommentUpdate) -> Comment:
    return await posts.update_comment(ctx.svc, ctx.user, id, body)


@api.delete("/comments/{id}", summary="Delete your comment (its replies stay, under a deleted placeholder)",
            tags=TAGS, status=204, errors=CHANGE_ERRORS)
async def delete_comment(ctx: Context, id: UUID) -> Reply:
    await posts.delete_comment(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.put("/comments/{id}/like", summary="Like a comment (once)", tags=TAGS, response=LikeState, errors=("not_found",))
async def like_comment(ctx: Context, id: UUID) -> LikeState:
    return await posts.like_comment(ctx.svc, ctx.user, id, liked=True)


@api.delete("/comments/{id}/like", summary="Take your like back", tags=TAGS, response=LikeState,
            errors=("not_found",))
async def unlike_comment(ctx: Context, id: UUID) -> LikeState:
    return await posts.like_comment(ctx.svc, ctx.user, id, liked=False)
