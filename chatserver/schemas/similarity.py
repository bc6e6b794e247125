"""Similar profiles, posts and groups, and recommended events: the nearest by embedding, each
with how close it is. Not paged: the nearest `limit`, nearest first."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chatserver.schemas.base import InputModel, WireModel
from chatserver.schemas.posts import Post
from chatserver.schemas.profiles import ProfileOut
from chatserver.schemas.smilefactory_events import EventOut
from chatserver.schemas.smilefactory_groups import GroupOut


class SimilarQuery(InputModel):
    limit: Annotated[int, Field(ge=1, le=50, description="How many, nearest first.")] = 10


Similarity = Annotated[float, Field(ge=-1, le=1, examples=[0.87], description=(
    "Cosine similarity of the two embeddings: 1 says the same, 0 nothing in common."))]


class SimilarPost(WireModel):
    similarity: Similarity
    post: Post


class SimilarPosts(WireModel):
    items: list[SimilarPost]


class SimilarProfile(WireModel):
    similarity: Similarity
    profile: ProfileOut


class SimilarProfiles(WireModel):
    items: list[SimilarProfile]


class RecommendedEvent(WireModel):
    similarity: Similarity
    event: EventOut


class RecommendedEvents(WireModel):
    items: list[RecommendedEvent]


class SimilarGroup(WireModel):
    similarity: Similarity
    group: GroupOut


class SimilarGroups(WireModel):
    items: list[SimilarGroup]
