"""The anonymous feed on the wire: the author of an anonymous post is never on it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import PostTopic, ShortText, Url, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery

PostText = text(10000, 1)


class Author(WireModel):
    """Anonymous: only the anonymous name. Otherwise who wrote it."""

    anonymous: bool
    anonymous_name: str | None = None
    user_id: UUID | None = None
    username: str | None = None
    display_name: str | None = None

    @classmethod
    def of(cls, row: Any) -> Author:
        if row["is_anonymous"]:
            return cls(anonymous=True, anonymous_name=row["author_anonymous_name"])
        return cls(anonymous=False, user_id=row["user_id"], username=row["author_username"],
                   display_name=row["author_display_name"])


class PostIn(InputModel):
    content: PostText
    image_url: Url | None = None
    is_anonymous: bool = True
    company_name: ShortText | None = None
    industry: ShortText | None = None
    topic: PostTopic = "general"


class PostUpdateIn(InputModel):
    content: PostText = unchanged()
    image_url: Url | None = None
    is_anonymous: bool = unchanged()
    company_name: ShortText | None = None
    industry: ShortText | None = None
    topic: PostTopic = unchanged()


class PostOut(WireModel):
    id: UUID
    content: str
    image_url: str | None
    is_anonymous: bool
    company_name: str | None
    industry: str | None
    topic: PostTopic
    likes_count: int
    comments_count: int
    liked_by_me: bool
    is_mine: bool
    author: Author
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> PostOut:
        return cls.from_row(row, author=Author.of(row))


class PostPage(Page[PostOut]):
    pass


class PostQuery(PageQuery):
    topic: PostTopic | None = None
    company_name: ShortText | None = None
    industry: ShortText | None = None
    mine: bool = Field(False, description="Only your own posts.")


class CommentIn(InputModel):
    content: PostText
    is_anonymous: bool = True


class CommentUpdateIn(InputModel):
    content: PostText = unchanged()
    is_anonymous: bool = unchanged()


class CommentOut(WireModel):
    id: UUID
    post_id: UUID
    content: str
    is_anonymous: bool
    likes_count: int
    liked_by_me: bool
    is_mine: bool
    author: Author
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> CommentOut:
        return cls.from_row(row, author=Author.of(row))


class CommentPage(Page[CommentOut]):
    pass


class LikeOut(WireModel):
    liked: bool
    likes_count: int
