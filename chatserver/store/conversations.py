"""Direct conversations: one per pair of users, stored in a fixed order."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_COLUMNS = "id, user_a_id, user_b_id, last_seq, last_change_seq, user_a_last_read_seq, user_b_last_read_seq, " \
           "last_message_at, created_at, updated_at"


def ordered(first: UUID, second: UUID) -> tuple[UUID, UUID]:
    return (first, second) if first < second else (second, first)


async def find_or_create(conn: asyncpg.Connection, first: UUID, second: UUID) -> tuple[asyncpg.Record, bool]:
    """The pair's conversation, and whether this call created it; safe under concurrent calls."""
    user_a, user_b = ordered(first, second)
    created = await conn.fetchrow(
        f"""INSERT INTO direct_conversations (user_a_id, user_b_id) VALUES ($1, $2)
            ON CONFLICT (user_a_id, user_b_id) DO NOTHING RETURNING {_COLUMNS}""",
        user_a, user_b,
    )
    if created is not None:
        return created, True
    existing = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM direct_conversations WHERE user_a_id = $1 AND user_b_id = $2", user_a, user_b,
    )
    return existing, False


async def by_id(conn: asyncpg.Connection, conversation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM direct_conversations WHERE id = $1", conversation_id)


async def for_user(conn: asyncpg.Connection, user_id: UUID, *, before: tuple | None = None,
                   limit: int = 1000) -> list[asyncpg.Record]:
    """The user's conversations, most recently active first."""
    p = Params(user_id)
    conditions = where("(user_a_id = $1 OR user_b_id = $1)", p.after("coalesce(last_message_at, created_at)", "id", before))
    return await conn.fetch(
        f"""SELECT {_COLUMNS} FROM direct_conversations WHERE {conditions}
            ORDER BY coalesce(last_message_at, created_at) DESC, id DESC LIMIT {p(limit)}""",
        *p.values,
    )



async def mark_read(conn: asyncpg.Connection, conversation_id: UUID, user_id: UUID, seq: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""UPDATE direct_conversations
               SET user_a_last_read_seq = CASE WHEN user_a_id = $2
                       THEN greatest(user_a_last_read_seq, least($3, last_seq)) ELSE user_a_last_read_seq END,
                   user_b_last_read_seq = CASE WHEN user_b_id = $2
                       THEN greatest(user_b_last_read_seq, least($3, last_seq)) ELSE user_b_last_read_seq END
             WHERE id = $1 AND (user_a_id = $2 OR user_b_id = $2)
         RETURNING {_COLUMNS}""",
        conversation_id, user_id, seq,
    )


async def mark_read_many(conn: asyncpg.Connection, reads: Sequence[tuple[UUID, UUID, int]]) -> list[asyncpg.Record]:
    """`mark_read` for many (conversation, user, seq) at once, in one statement: each conversation one of
    whose two people moved their marker, once, with both people's markers moved (several of one
    person to the highest of their seqs). Reads by someone not in the conversation are left out."""
    return await conn.fetch(
        f"""WITH wanted AS (
                SELECT r.conversation_id, r.user_id, max(r.seq) AS seq
                  FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS r (conversation_id, user_id, seq)
                 GROUP BY r.conversation_id, r.user_id),
            per_conversation AS (
                SELECT d.id, max(w.seq) FILTER (WHERE w.user_id = d.user_a_id) AS a_seq,
                       max(w.seq) FILTER (WHERE w.user_id = d.user_b_id) AS b_seq
                  FROM wanted w JOIN direct_conversations d ON d.id = w.conversation_id
                 WHERE w.user_id IN (d.user_a_id, d.user_b_id)
                 GROUP BY d.id)
            UPDATE direct_conversations d
               SET user_a_last_read_seq = greatest(user_a_last_read_seq, least(coalesce(p.a_seq, 0), last_seq)),
                   user_b_last_read_seq = greatest(user_b_last_read_seq, least(coalesce(p.b_seq, 0), last_seq))
              FROM per_conversation p
             WHERE d.id = p.id
         RETURNING {", ".join(f"d.{column}" for column in _COLUMNS.split(", "))}""",
        [read[0] for read in reads], [read[1] for read in reads], [read[2] for read in reads],
    )
