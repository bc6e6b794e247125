"""Embeddings of SmileFactory content (038): one row per profile, post, event, group and AI chat
message in `content_embeddings`, its `version` counted up by triggers when the content's text
changes, and the vector with the version it was computed from.

Vectors travel as pgvector's text form (`[0.1,0.2,...]`), cast in SQL, so no codec is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from chatserver.store.params import Params

KINDS = ("profile", "post", "event", "group", "ai_message")

# Each kind's text, as (id, text) rows for the ids in $1; a profile's is `store.profiles.embedding_texts`.
TEXTS = {
    "post": """SELECT id, concat_ws(E'\\n', title, content, category, array_to_string(tags, ' ')) AS text
                 FROM posts WHERE id = ANY($1::uuid[])""",
    "event": """SELECT id, concat_ws(E'\\n', title, description, event_type, location, array_to_string(tags, ' '))
                       AS text
                  FROM events WHERE id = ANY($1::uuid[])""",
    "group": """SELECT id, concat_ws(E'\\n', name, description, category, array_to_string(tags, ' ')) AS text
                  FROM groups WHERE id = ANY($1::uuid[])""",
    "ai_message": """SELECT m.id, (SELECT string_agg(part ->> 'text', E'\\n') FROM jsonb_array_elements(m.parts) part)
                            AS text
                       FROM ai_chat_messages m WHERE m.id = ANY($1::uuid[])""",
}

# Behind: a change not embedded yet, or a vector of another model than the one configured ($1).
_BEHIND = "(embedded_version < version OR model IS DISTINCT FROM $1)"


def to_text(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(number)) for number in vector) + "]"


async def claim(conn: asyncpg.Connection, model: str, *, limit: int, lease_seconds: float) -> list[asyncpg.Record]:
    """Up to `limit` rows behind and due, oldest due first, each kept from other workers for
    `lease_seconds` (the time a call may take); with the version their text will be at least."""
    return await conn.fetch(
        f"""UPDATE content_embeddings c SET retry_at = now() + make_interval(secs => $3)
             WHERE (c.content_type, c.content_id) IN (
                   SELECT content_type, content_id FROM content_embeddings
                    WHERE retry_at <= now() AND {_BEHIND}
                    ORDER BY retry_at LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING c.content_type, c.content_id, c.version""", model, limit, lease_seconds)


async def texts(conn: asyncpg.Connection, kind: str, ids: list[UUID]) -> list[asyncpg.Record]:
    """(id, text) of each of these posts, events, groups or AI messages that still exists."""
    return await conn.fetch(TEXTS[kind], ids)


async def store(conn: asyncpg.Connection, model: str, computed: Sequence[tuple[str, UUID, int, str | None]]) -> None:
    """(kind, id, version read, vector text or None for a blank text): each the model's vector of that
    version, due again at once (it is still behind if the content changed meanwhile)."""
    await conn.execute(
        """UPDATE content_embeddings c
              SET embedding = v.vector::vector, model = $1, embedded_version = v.version, attempts = 0,
                  retry_at = now(), embedded_at = now()
             FROM unnest($2::text[], $3::uuid[], $4::int[], $5::text[]) AS v(kind, id, version, vector)
            WHERE c.content_type = v.kind AND c.content_id = v.id""",
        model, *(list(column) for column in zip(*computed, strict=True)))


async def back_off(conn: asyncpg.Connection, keys: Sequence[tuple[str, UUID]], *, base_seconds: float,
                   max_seconds: float) -> None:
    """The call for these failed: try again after base_seconds doubled per failure so far, at most max_seconds."""
    await conn.execute(
        """UPDATE content_embeddings c
              SET attempts = c.attempts + 1,
                  retry_at = now() + make_interval(secs => least($3 * 2 ^ least(c.attempts, 30), $4))
             FROM unnest($1::text[], $2::uuid[]) AS k(kind, id)
            WHERE c.content_type = k.kind AND c.content_id = k.id""",
        *(list(column) for column in zip(*keys, strict=True)), base_seconds, max_seconds)


async def forget(conn: asyncpg.Connection, keys: Sequence[tuple[str, UUID]]) -> None:
    """Rows whose content is gone (an account deleted with its profile leaves one behind)."""
    await conn.execute(
        """DELETE FROM content_embeddings c USING unnest($1::text[], $2::uuid[]) AS k(kind, id)
            WHERE c.content_type = k.kind AND c.content_id = k.id""",
        *(list(column) for column in zip(*keys, strict=True)))


async def vector(conn: asyncpg.Connection, kind: str, content_id: UUID, model: str) -> str | None:
    """The content's vector by this model (text form), if one is computed."""
    return await conn.fetchval(
        "SELECT embedding::text FROM content_embeddings"
        " WHERE content_type = $1 AND content_id = $2 AND model = $3 AND embedding IS NOT NULL",
        kind, content_id, model)


async def widen_search(conn: asyncpg.Connection, candidates: int) -> None:
    """Let the HNSW search of this transaction look at `candidates` neighbours (pgvector's default is
    40), so that enough are left once those the viewer may not see are filtered out."""
    await conn.execute("SELECT set_config('hnsw.ef_search', $1, true)", str(candidates))


def nearest(p: Params, kind: str, id_column: str, vector: str, model: str) -> tuple[str, str]:
    """A join of the rows of a query over `kind` (whose id is `id_column`) to their vectors by `model`,
    and the cosine distance of each to `vector`: order by it, ascending, and the kind's HNSW index
    finds the nearest first."""
    assert kind in KINDS, kind
    join = (f"JOIN content_embeddings emb ON emb.content_type = '{kind}' AND emb.content_id = {id_column}"
            f" AND emb.model = {p(model)} AND emb.embedding IS NOT NULL")
    return join, f"(emb.embedding <=> {p(vector)}::vector)"
