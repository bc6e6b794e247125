"""Everything a user takes part in, in one round trip: what a new socket joins."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

import asyncpg


@dataclass(slots=True)
class Memberships:
    workspaces: list[UUID] = field(default_factory=list)
    channels: list[UUID] = field(default_factory=list)
    conversations: list[UUID] = field(default_factory=list)


async def of_user(conn: asyncpg.Connection, user_id: UUID) -> Memberships:
    rows = await conn.fetch(
        """SELECT 'workspaces' AS kind, workspace_id AS id FROM workspace_members WHERE user_id = $1
           UNION ALL SELECT 'channels', channel_id FROM channel_members WHERE user_id = $1
           UNION ALL SELECT 'conversations', id FROM direct_conversations WHERE user_a_id = $1 OR user_b_id = $1""",
        user_id,
    )
    found = Memberships()
    for row in rows:
        getattr(found, row["kind"]).append(row["id"])
    return found
