"""SmileFactory posts and threaded comments on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import NOT_BLANK, Content, Url, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery

PostType = Literal["general", "blog", "announcement", "opportunity"]
Visibility = Literal["public", "connections", "private"]
PostStatus = Literal["draft", "published", "archived"]
NewPostStatus = Literal["draft", "published"]  # archiving is for what was published

# A tag: ASCII letters, digits and a few joiners (c++, c#, node.js), compared in lower case.
_TAG = "[A-Za-z0-9][A-Za-z0-9_+#.-]{0,49}"
MAX_TAGS = 20


def _normalised(tags: list[str]) -> list[str]:
    """Lower case, each once, in the order given."""
    return list(dict.fromkeys(tag.lower() for tag in tags))


Tag = text(50, 1, f"^{_TAG}$")
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_normalised)]
MediaUrls = Annotated[list[Url], Field(max_length=10)]
Title = text(500)
Category = text(100)
CommentText = text(10000, 1, NOT_BLANK)
# Tags in a query: comma-separated, as one value.
TagQuery = Annotated[str, StringConstraints(max_length=MAX_TAGS * 51, pattern=f"^{_TAG}(,{_TAG}){{0,{MAX_TAGS - 1}}}$"),
                     Field(description="Comma-separated tags, e.g. `ai,health`.")]


class PostCreate(InputModel):
    content: Content
    title: Title | None = None
    post_type: PostType = "general"
    category: Category | None = None
    tags: Tags = []
    visibility: Visibility = Field("public", description="`connections`: your accepted connections.")
    status: NewPostStatus = Field("published", description="`publishedAt` is set when the post is first published.")
    featured_image_url: Url | None = None
    media_urls: MediaUrls = []


class PostUpdate(InputModel):
    content: Content = unchanged()
    title: Title | None = None
    post_type: PostType = unchanged()
    category: Category | None = None
    tags: Tags = unchanged()
    visibility: Visibility = unchanged()
    status: PostStatus = unchanged("Only a post that was published can be archived.")
    featured_image_url: Url | None = None
    media_urls: MediaUrls = unchanged()


class PostAuthor(WireModel):
    id: UUID
    username: str
    display_name: str | None

    @classmethod
    def of(cls, row: Any) -> PostAuthor:
        return cls(id=row["author_id"], username=row["author_username"], display_name=row["author_display_name"])


class Post(WireModel):
    id: UUID
    author: PostAuthor
    title: str | None
    content: str
    post_type: PostType
    category: str | None
    tags: list[str]
    visibility: Visibility
    status: PostStatus
    featured_image_url: str | None
    media_urls: list[str]
    like_count: int
    comment_count: int = Field(description="Comments not deleted, replies included.")
    share_count: int
    view_count: int
    liked_by_me: bool
    is_mine: bool
    created_at: Timestamp
    updated_at: Timestamp
    published_at: Timestamp | None

    @classmethod
    def render(cls, row: Any) -> Post:
        return cls.from_row(row, author=PostAuthor.of(row))


class PostList(Page[Post]):
    pass


class PostListQuery(PageQuery):
    author_id: UUID | None = None
    post_type: PostType | None = None
    category: Category | None = None
    status: PostStatus | None = Field(None, description="Others' posts are listed once published only.")
    tags: TagQuery | None = Field(None, description="Posts with every one of these comma-separated tags.")
    any_tags: TagQuery | None = Field(None, description="Posts with at least one of these comma-separated tags.")

    def filters(self) -> dict[str, Any]:
        """The filters given, by the store's names."""
        given = {"author_id": self.author_id, "post_type": self.post_type, "category": self.category,
                 "status": self.status, "tags": self.tags, "any_tags": self.any_tags}
        return {name: _normalised(value.split(",")) if name in ("tags", "any_tags") else value
                for name, value in given.items() if value is not None}


class PostSearchQuery(PostListQuery.sorted_by(int, UUID, default_limit=20)):
    q: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK),
                 Field(description='Web search syntax: words, "a phrase", or, -word.')]


class PostHit(Post):
    rank: float = Field(description="How well the post matches; a match in the title counts more than one "
                                    "in the text.")

    @classmethod
    def render(cls, row: Any) -> PostHit:
        return cls.from_row(row, rank=row["score"] / 1_000_000, author=PostAuthor.of(row))


class PostHits(Page[PostHit]):
    pass


class PostCounts(WireModel):
    like_count: int
    comment_count: int
    share_count: int
    view_count: int


class LikeState(WireModel):
    liked: bool
    like_count: int


class CommentCreate(InputModel):
    content: CommentText
    parent_id: UUID | None = Field(None, description="The comment this replies to, on the same post.")


class CommentUpdate(InputModel):
    content: CommentText


class Comment(WireModel):
    """A deleted comment that still holds replies shows as `isDeleted`, without its text and author."""

    id: UUID
    post_id: UUID
    parent_id: UUID | None
    author: PostAuthor | None
    content: str | None
    is_deleted: bool
    like_count: int
    reply_count: int = Field(description="Direct replies, deleted ones that hold replies included.")
    liked_by_me: bool
    is_mine: bool
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> Comment:
        if row["is_deleted"]:
            return cls.from_row(row, author=None, content=None, is_mine=False)
        return cls.from_row(row, author=PostAuthor.of(row))


class CommentList(Page[Comment]):
    pass
