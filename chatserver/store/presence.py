"""The last known presence per user (who is connected right now lives in realtime.presence)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where


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


async def of_people_around(conn: asyncpg.Connection, user_id: UUID,
                           only: Sequence[UUID] | None = None) -> list[asyncpg.Record]:
    """The last known presence of everyone who shares a workspace with the user (the user included),
    or of those of them named in `only`."""
    p = Params(user_id)
    conditions = where("""u.id IN (SELECT other.user_id FROM workspace_members mine
                                   JOIN workspace_members other ON other.workspace_id = mine.workspace_id
                                   WHERE mine.user_id = $1)""",
                       p.when(None if only is None else list(only), "u.id = ANY({}::uuid[])"))
    return await conn.fetch(
        f"""SELECT u.id AS user_id, coalesce(p.status, 'OFFLINE') AS status, p.status_text,
                   coalesce(p.last_active_at, u.last_login_at, u.created_at) AS last_active_at
            FROM users u LEFT JOIN user_presence p ON p.user_id = u.id
            WHERE {conditions}""",
        *p.values,
    )

