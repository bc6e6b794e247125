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


def columns(user: str) -> str:
    """The membership columns (for `from_row`) of the user given by the SQL expression `user`."""
    return f"""ARRAY(SELECT workspace_id FROM workspace_members WHERE user_id = {user}) AS workspaces,
               ARRAY(SELECT channel_id FROM channel_members WHERE user_id = {user}) AS channels,
               ARRAY(SELECT id FROM direct_conversations WHERE user_a_id = {user} OR user_b_id = {user})
                 AS conversations"""


def from_row(row: asyncpg.Record) -> Memberships:
    return Memberships(list(row["workspaces"]), list(row["channels"]), list(row["conversations"]))


async def of_user(conn: asyncpg.Connection, user_id: UUID) -> Memberships:
    return from_row(await conn.fetchrow(f"SELECT {columns('$1')}", user_id))
