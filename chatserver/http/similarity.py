"""SmileFactory similarity: similar profiles, posts and groups, and recommended events, by the
embeddings of what each says (`unavailable` while no embeddings model is configured).

Listed before the events module in SEED_API_MODULES, so that `/events/recommended` is matched
before `/events/{id}`."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import similarity
from chatserver.http.api import Api, Context
from chatserver.schemas.similarity import (
    RecommendedEvents,
    SimilarGroups,
    SimilarPosts,
    SimilarProfiles,
    SimilarQuery,
)

api = Api()
TAGS = ("similarity",)
ERRORS = ("not_found", "unavailable")
_NEAREST = ("nearest first, among those you may see; empty until its embedding is computed (in the background, "
            "after each change)")


@api.get("/posts/{id}/similar", summary=f"Published posts like this one, {_NEAREST}", tags=TAGS,
         query=SimilarQuery, response=SimilarPosts, errors=ERRORS)
async def similar_posts(ctx: Context, id: UUID, query: SimilarQuery) -> SimilarPosts:
    return await similarity.similar_posts(ctx.svc, ctx.user, id, query)


@api.get("/profiles/{userId}/similar", summary=f"Typed profiles like this one (not yours), {_NEAREST}", tags=TAGS,
         query=SimilarQuery, response=SimilarProfiles, errors=ERRORS)
async def similar_profiles(ctx: Context, userId: UUID, query: SimilarQuery) -> SimilarProfiles:  # noqa: N803
    return await similarity.similar_profiles(ctx.svc, ctx.user, userId, query)


@api.get("/groups/{id}/similar", summary=f"Active groups like this one, {_NEAREST}", tags=TAGS,
         query=SimilarQuery, response=SimilarGroups, errors=ERRORS)
async def similar_groups(ctx: Context, id: UUID, query: SimilarQuery) -> SimilarGroups:
    return await similarity.similar_groups(ctx.svc, ctx.user, id, query)


@api.get("/events/recommended", summary="Published events still open for registration that match your profile, "
         "nearest first, leaving out yours and those you answered; empty until your profile's embedding is computed",
         tags=TAGS, query=SimilarQuery, response=RecommendedEvents, errors=("unavailable",))
async def recommended_events(ctx: Context, query: SimilarQuery) -> RecommendedEvents:
    return await similarity.recommended_events(ctx.svc, ctx.user, query)
