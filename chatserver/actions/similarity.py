"""Similar profiles, posts and groups, recommended events (038), and `embed_pending`, the periodic
task that keeps the embeddings behind them current.

A write to the content never waits for the embeddings endpoint: triggers only count the change,
and `embed_pending` embeds what is behind, a batch at a time, outside any transaction while it
waits for the endpoint. A failed call is tried again later, after a wait that doubles with each
failure. Whoever may see what is decided where it always is (`store.posts.READABLE_POST`,
`store.profiles.VISIBLE_PROFILE`, the events' and groups' visibility); a subject the caller may
not see is `not_found`, and one with no vector yet has no neighbours.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg

from chatserver import ai_client
from chatserver.actions import smilefactory_groups
from chatserver.actions.context import Principal, Services
from chatserver.errors import not_found, unavailable
from chatserver.schemas.posts import Post
from chatserver.schemas.profiles import ProfileOut
from chatserver.schemas.similarity import (
    RecommendedEvent,
    RecommendedEvents,
    SimilarGroup,
    SimilarGroups,
    SimilarPost,
    SimilarPosts,
    SimilarProfile,
    SimilarProfiles,
    SimilarQuery,
)
from chatserver.schemas.smilefactory_events import EventOut
from chatserver.schemas.smilefactory_groups import GroupOut
from chatserver.store import embeddings, posts, profiles, smilefactory_events
from chatserver.store import smilefactory_groups as groups

log = logging.getLogger(__name__)

BATCH_SIZE = 64          # texts per call to the endpoint
MAX_BATCHES = 16         # per run of the task; what is left waits for the next run
FIRST_RETRY_SECONDS = 60.0
MAX_RETRY_SECONDS = 86400.0
MAX_TEXT_CHARS = 8000    # well within the input limit of OpenAI's embedding models
SEARCH_CANDIDATES = 200  # neighbours the HNSW search looks at before the visibility filter


def _model(svc: Services) -> str:
    if not ai_client.embeddings_configured(svc.settings):
        raise unavailable("similarity needs an embeddings endpoint: set AI_BASE_URL and AI_EMBEDDING_MODEL")
    return svc.settings.ai_embedding_model or ""


def _similarity(row: asyncpg.Record) -> float:
    return max(-1.0, min(1.0, 1.0 - row["distance"]))  # rounding may step past the ends


@asynccontextmanager
async def _search(svc: Services, name: str) -> AsyncIterator[asyncpg.Connection]:
    async with svc.db.transaction(name) as conn:
        await embeddings.widen_search(conn, SEARCH_CANDIDATES)
        yield conn


async def similar_posts(svc: Services, principal: Principal, post_id: UUID, query: SimilarQuery) -> SimilarPosts:
    model = _model(svc)
    async with _search(svc, "similar_posts") as conn:
        if await posts.post(conn, principal.user_id, post_id) is None:
            raise not_found("post")
        vector = await embeddings.vector(conn, "post", post_id, model)
        rows = [] if vector is None else await posts.similar(conn, principal.user_id, post_id, vector, model,
                                                              limit=query.limit)
    return SimilarPosts(items=[SimilarPost(similarity=_similarity(row), post=Post.render(row)) for row in rows])


async def similar_profiles(svc: Services, principal: Principal, user_id: UUID,
                           query: SimilarQuery) -> SimilarProfiles:
    model = _model(svc)
    async with _search(svc, "similar_profiles") as conn:
        if await profiles.profile(conn, principal.user_id, user_id) is None:
            raise not_found("profile")
        vector = await embeddings.vector(conn, "profile", user_id, model)
        rows = [] if vector is None else await profiles.similar(conn, principal.user_id, user_id, vector, model,
                                                                 limit=query.limit)
    return SimilarProfiles(items=[SimilarProfile(similarity=_similarity(row), profile=ProfileOut.render(
        row, profiles.details(row), viewer_id=principal.user_id)) for row in rows])


async def recommended_events(svc: Services, principal: Principal, query: SimilarQuery) -> RecommendedEvents:
    """Events near what the caller's profile says."""
    model = _model(svc)
    async with _search(svc, "recommended_events") as conn:
        vector = await embeddings.vector(conn, "profile", principal.user_id, model)
        rows = [] if vector is None else await smilefactory_events.recommended(conn, principal.user_id, vector,
                                                                                model, limit=query.limit)
    return RecommendedEvents(items=[RecommendedEvent(similarity=_similarity(row), event=EventOut.render(row))
                                    for row in rows])


async def similar_groups(svc: Services, principal: Principal, group_id: UUID, query: SimilarQuery) -> SimilarGroups:
    model = _model(svc)
    await smilefactory_groups.get(svc, principal, group_id)  # `not_found` unless the caller may see it
    async with _search(svc, "similar_groups") as conn:
        vector = await embeddings.vector(conn, "group", group_id, model)
        rows = [] if vector is None else await groups.similar(conn, principal.user_id, group_id, vector, model,
                                                              limit=query.limit)
    return SimilarGroups(items=[SimilarGroup(similarity=_similarity(row), group=GroupOut.render(row))
                                for row in rows])


# The periodic task.

async def _texts(conn: asyncpg.Connection, kind: str, ids: list[UUID]) -> dict[UUID, str]:
    rows = await (profiles.embedding_texts(conn, ids) if kind == "profile" else embeddings.texts(conn, kind, ids))
    return {row["id"]: (row["text"] or "").strip()[:MAX_TEXT_CHARS] for row in rows}


async def embed_pending(svc: Services, *, batch_size: int = BATCH_SIZE) -> int:
    """Embed the content whose text changed since its vector was computed (or whose vector is of
    another model), a batch per call; how many vectors were stored. Nothing without AI_EMBEDDING_MODEL.
    Stops at the first failed call: those rows wait out their backoff, the others the next run."""
    if not ai_client.embeddings_configured(svc.settings):
        return 0
    model = svc.settings.ai_embedding_model or ""
    stored = 0
    for _ in range(MAX_BATCHES):
        async with svc.db.transaction("claim_embeddings") as conn:
            claimed = await embeddings.claim(conn, model, limit=batch_size, lease_seconds=svc.settings.ai_timeout + 60)
            by_kind: dict[str, list[UUID]] = defaultdict(list)
            for row in claimed:
                by_kind[row["content_type"]].append(row["content_id"])
            # Read after the claim, so each text is at least as new as the version claimed with it.
            texts = {kind: await _texts(conn, kind, ids) for kind, ids in by_kind.items()}
        if not claimed:
            break
        gone, blank, wanted = [], [], []
        for row in claimed:
            kind, content_id = row["content_type"], row["content_id"]
            text = texts[kind].get(content_id)
            (gone if text is None else blank if not text else wanted).append((kind, content_id, row["version"], text))
        failed: list[tuple[str, UUID, int, str]] = []
        vectors: list[list[float]] = []
        if wanted:
            try:
                vectors = await ai_client.embed(svc.settings, [text for *_, text in wanted])
            except ai_client.AiUnavailable:
                failed, wanted = wanted, []
        async with svc.db.transaction("store_embeddings") as conn:
            if gone:
                await embeddings.forget(conn, [(kind, content_id) for kind, content_id, _, _ in gone])
            computed = [(kind, content_id, version, None) for kind, content_id, version, _ in blank]
            computed += [(kind, content_id, version, embeddings.to_text(vector))
                         for (kind, content_id, version, _), vector in zip(wanted, vectors, strict=True)]
            if computed:
                await embeddings.store(conn, model, computed)
            if failed:
                await embeddings.back_off(conn, [(kind, content_id) for kind, content_id, _, _ in failed],
                                          base_seconds=FIRST_RETRY_SECONDS, max_seconds=MAX_RETRY_SECONDS)
        stored += len(wanted)
        if failed:
            log.info("embeddings: %d texts wait for a later try", len(failed))
            break
    return stored
