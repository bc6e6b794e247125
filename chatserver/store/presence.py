"""The last known presence per user (who is connected right now lives in realtime.presence)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg


async def save(conn: asyncpg.Connection, user_id: UUID, status: str, status_text: str | None) -> asyncpg.Record | None:
    """None for an erased account: its sockets' last OFFLINE comes after the erasure, and stores nothing."""
    return await conn.fetchrow(
        """INSERT INTO user_presence (user_id, status, status_text, last_active_at, updated_at)
           SELECT $1, $2, $3, now(), now() WHERE EXISTS (SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL)
           ON CONFLICT (user_id) DO UPDATE
              SET status = excluded.status, status_text = excluded.status_text,
                  last_active_at = excluded.last_active_at, updated_at = now()
           RETURNING user_id, status, status_text, last_active_at""",
        user_id, status, status_text,
    )


async def of_people_named(conn: asyncpg.Connection, user_id: UUID, user_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """The last known presence of those named who share a workspace with the user (the user included).
    Each one named is looked up by key (LATERAL ... LIMIT 1 keeps the plan a loop over them): the
    server's connections plan a statement once, without its values (docs/operations.md), and asked
    as a set the check could read every member of the user's workspaces."""
    return await conn.fetch(
        """SELECT u.id AS user_id, coalesce(p.status, 'OFFLINE') AS status, p.status_text,
                  coalesce(p.last_active_at, u.last_login_at, u.created_at) AS last_active_at
           FROM (SELECT DISTINCT unnest($2::uuid[])) AS named (id)
           JOIN users u ON u.id = named.id
           LEFT JOIN user_presence p ON p.user_id = named.id
           CROSS JOIN LATERAL (SELECT 1 FROM workspace_members theirs
                                 JOIN workspace_members mine
                                   ON mine.workspace_id = theirs.workspace_id AND mine.user_id = $1
                                WHERE theirs.user_id = named.id LIMIT 1) AS shares_a_workspace""",
        user_id, list(user_ids),
    )


async def of_people_near(conn: asyncpg.Connection, user_id: UUID, limit: int) -> tuple[list[asyncpg.Record], bool]:
    """The last known presence of the people `ready` shows the user, at most `limit`, and whether they are
    everyone who shares a workspace with the user.

    Those people are the user, the other person of each of the user's direct conversations, and those who
    share a channel with the user, preferred in that order, then present (not OFFLINE), then most recently
    active; only people who share a workspace with the user count (those `presence:get` answers for and
    whose changes reach the user). The cost follows what the user belongs to, not the workspaces' size:
    each candidate is looked up by key (workspace membership, presence, account), and whether anyone was
    left out is asked of the workspaces' members only until the first one who was."""
    rows = await conn.fetch(
        """WITH mine AS (
               SELECT workspace_id FROM workspace_members WHERE user_id = $1
           ), near AS (
               SELECT $1::uuid AS user_id, 0 AS rank
               UNION ALL SELECT user_b_id, 1 FROM direct_conversations WHERE user_a_id = $1
               UNION ALL SELECT user_a_id, 1 FROM direct_conversations WHERE user_b_id = $1
               UNION ALL SELECT other.user_id, 2
                           FROM channel_members m
                           JOIN channel_members other ON other.channel_id = m.channel_id
                          WHERE m.user_id = $1
           ), qualified AS (
               SELECT near.user_id, min(near.rank) AS rank
                 FROM near
                WHERE EXISTS (SELECT 1 FROM workspace_members w
                               WHERE w.user_id = near.user_id AND w.workspace_id IN (SELECT workspace_id FROM mine))
                GROUP BY near.user_id
           ), kept AS (
               SELECT q.user_id, q.rank, p.status, p.status_text, p.last_active_at
                 FROM qualified q
                 LEFT JOIN LATERAL (SELECT status, status_text, last_active_at FROM user_presence
                                     WHERE user_id = q.user_id) p ON true
                ORDER BY q.rank, coalesce(p.status, 'OFFLINE') = 'OFFLINE', p.last_active_at DESC NULLS LAST, q.user_id
                LIMIT $2
           )
           SELECT k.user_id, coalesce(k.status, 'OFFLINE') AS status, k.status_text,
                  coalesce(k.last_active_at, u.last_login_at, u.created_at) AS last_active_at,
                  (SELECT count(*) FROM qualified) AS qualified,
                  EXISTS (SELECT 1 FROM mine CROSS JOIN LATERAL (
                              SELECT 1 FROM workspace_members o  -- each workspace's members, by its index
                               WHERE o.workspace_id = mine.workspace_id
                                 AND o.user_id NOT IN (SELECT user_id FROM qualified)  -- (a hashed set)
                               LIMIT 1) AS anyone) AS left_out
             FROM kept k
             CROSS JOIN LATERAL (SELECT last_login_at, created_at FROM users WHERE id = k.user_id) u
            ORDER BY k.rank, coalesce(k.status, 'OFFLINE') = 'OFFLINE', k.last_active_at DESC NULLS LAST, k.user_id""",
        user_id, limit,
    )
    # No row: the user is in no workspace (else the user is a row), so nobody was left out.
    complete = not rows or (not rows[0]["left_out"] and rows[0]["qualified"] <= limit)
    return rows, complete
