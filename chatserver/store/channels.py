"""Channels, their members and read markers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

COLUMNS = "c.id, c.workspace_id, c.name, c.description, c.topic, c.type, c.is_private, c.is_archived, " \
          "c.position, c.created_by, c.last_seq, c.last_change_seq, c.last_message_at, c.created_at, c.updated_at"
UPDATABLE = {"name", "description", "topic", "position", "type"}


class NameTaken(Exception):
    pass


async def create(conn: asyncpg.Connection, *, workspace_id: UUID, name: str, type: str, is_private: bool,
                 topic: str | None, description: str | None, created_by: UUID) -> asyncpg.Record:
    try:
        return await conn.fetchrow(
            f"""INSERT INTO channels AS c (workspace_id, name, type, is_private, topic, description, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}""",
            workspace_id, name, type, is_private, topic, description, created_by,
        )
    except asyncpg.UniqueViolationError:
        raise NameTaken from None


async def by_id(conn: asyncpg.Connection, channel_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM channels c WHERE c.id = $1", channel_id)


async def access(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    """The channel with the caller's channel role and workspace role (either may be NULL)."""
    return await conn.fetchrow(
        f"""SELECT {COLUMNS}, cm.role AS channel_role, wm.role AS workspace_role
            FROM channels c
            LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2
            LEFT JOIN workspace_members wm ON wm.workspace_id = c.workspace_id AND wm.user_id = $2
            WHERE c.id = $1""",
        channel_id, user_id,
    )


async def visible_in_workspace(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, *,
                               after: str | None, limit: int) -> list[asyncpg.Record]:
    """Public channels, and private ones the user is a member of."""
    p = Params(workspace_id, user_id)
    conditions = where("c.workspace_id = $1 AND (NOT c.is_private OR cm.user_id IS NOT NULL)",
                       p.when(after, "c.name > {}"))
    return await conn.fetch(
        f"""SELECT {COLUMNS}, cm.role AS channel_role FROM channels c
            LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = $2
            WHERE {conditions} ORDER BY c.name LIMIT {p(limit)}""",
        *p.values,
    )


async def update(conn: asyncpg.Connection, channel_id: UUID, changes: dict[str, Any]) -> asyncpg.Record:
    p = Params(channel_id)
    assignments = ", ".join(filter(None, [p.assignments(changes, UPDATABLE), "updated_at = now()"]))
    try:
        return await conn.fetchrow(f"UPDATE channels c SET {assignments} WHERE c.id = $1 RETURNING {COLUMNS}",
                                   *p.values)
    except asyncpg.UniqueViolationError:
        raise NameTaken from None


async def archive(conn: asyncpg.Connection, channel_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow(
        f"UPDATE channels c SET is_archived = true, updated_at = now() WHERE c.id = $1 RETURNING {COLUMNS}",
        channel_id,
    )


async def add_member(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID, role: str = "MEMBER") -> bool:
    """Join at the channel's current end, so history before joining does not count as unread."""
    status = await conn.execute(
        """INSERT INTO channel_members (channel_id, user_id, role, last_read_seq)
           SELECT $1, $2, $3, last_seq FROM channels WHERE id = $1
           ON CONFLICT (channel_id, user_id) DO NOTHING""",
        channel_id, user_id, role,
    )
    return status == "INSERT 0 1"


async def remove_member(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID) -> bool:
    status = await conn.execute("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2",
                                channel_id, user_id)
    return status == "DELETE 1"


_MEMBER = """SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.is_muted, m.last_read_seq,
                    m.joined_at
             FROM channel_members m JOIN users u ON u.id = m.user_id"""


async def member(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_MEMBER} WHERE m.channel_id = $1 AND m.user_id = $2", channel_id, user_id)


async def members(conn: asyncpg.Connection, channel_id: UUID, *, after: str | None,
                  limit: int) -> list[asyncpg.Record]:
    p = Params(channel_id)
    conditions = where("m.channel_id = $1", p.when(after, "lower(u.username) > {}"))
    return await conn.fetch(f"{_MEMBER} WHERE {conditions} ORDER BY lower(u.username) LIMIT {p(limit)}", *p.values)



async def states_for_user(conn: asyncpg.Connection, user_id: UUID) -> list[asyncpg.Record]:
    """Every channel the user is in, with counters, read marker and unread mentions (for `ready`)."""
    return await conn.fetch(
        """SELECT c.id, c.workspace_id, c.name, c.type, c.is_archived, c.last_seq, c.last_change_seq,
                  m.last_read_seq, m.is_muted,
                  greatest(c.last_seq - m.last_read_seq, 0) AS unread_count,
                  (SELECT count(*) FROM message_mentions mm
                    WHERE mm.user_id = m.user_id AND mm.channel_id = c.id AND mm.seq > m.last_read_seq)
                    AS mention_count
           FROM channel_members m JOIN channels c ON c.id = m.channel_id
           WHERE m.user_id = $1
           ORDER BY c.workspace_id, c.position, c.name""",
        user_id,
    )


async def mark_read(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID, seq: int) -> asyncpg.Record | None:
    """Move the read marker forward (never back, never past the end); the new state, or None if not a member."""
    return await conn.fetchrow(
        """UPDATE channel_members m
              SET last_read_seq = greatest(m.last_read_seq, least($3, c.last_seq)), last_read_at = now()
             FROM channels c
            WHERE c.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2
        RETURNING m.last_read_seq, greatest(c.last_seq - m.last_read_seq, 0) AS unread_count,
                  (SELECT count(*) FROM message_mentions mm
                    WHERE mm.user_id = $2 AND mm.channel_id = $1 AND mm.seq > m.last_read_seq) AS mention_count""",
        channel_id, user_id, seq,
    )


async def mark_read_many(conn: asyncpg.Connection, reads: Sequence[tuple[UUID, UUID, int]]) -> list[asyncpg.Record]:
    """`mark_read` for many (channel, user, seq) at once, in one statement: the new state of each
    (channel, user) that is a member still in the channel's workspace; the others are left out.
    Several of one pair move to the highest of their seqs."""
    return await conn.fetch(
        """WITH wanted AS (
               SELECT r.channel_id, r.user_id, max(r.seq) AS seq
                 FROM unnest($1::uuid[], $2::uuid[], $3::bigint[]) AS r (channel_id, user_id, seq)
                GROUP BY r.channel_id, r.user_id)
           UPDATE channel_members m
              SET last_read_seq = greatest(m.last_read_seq, least(w.seq, c.last_seq)), last_read_at = now()
             FROM wanted w
             JOIN channels c ON c.id = w.channel_id
             JOIN workspace_members wm ON wm.workspace_id = c.workspace_id AND wm.user_id = w.user_id
            WHERE m.channel_id = w.channel_id AND m.user_id = w.user_id
        RETURNING m.channel_id, m.user_id, m.last_read_seq, greatest(c.last_seq - m.last_read_seq, 0) AS unread_count,
                  (SELECT count(*) FROM message_mentions mm
                    WHERE mm.user_id = m.user_id AND mm.channel_id = m.channel_id
                      AND mm.seq > m.last_read_seq) AS mention_count""",
        [read[0] for read in reads], [read[1] for read in reads], [read[2] for read in reads],
    )


async def set_muted(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID, muted: bool) -> bool:
    status = await conn.execute("UPDATE channel_members SET is_muted = $3 WHERE channel_id = $1 AND user_id = $2",
                                channel_id, user_id, muted)
    return status == "UPDATE 1"
