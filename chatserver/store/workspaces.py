"""Workspaces and their members."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_COLUMNS = "w.id, w.name, w.slug, w.description, w.icon_url, w.owner_id, w.is_public, w.invite_code, " \
           "w.created_at, w.updated_at"
UPDATABLE = {"name", "description", "icon_url", "is_public"}


class SlugTaken(Exception):
    pass


async def create(conn: asyncpg.Connection, *, name: str, slug: str, description: str | None, is_public: bool,
                 owner_id: UUID, invite_code: str) -> asyncpg.Record:
    try:
        workspace_id = await conn.fetchval(
            """INSERT INTO workspaces (name, slug, description, is_public, owner_id, invite_code)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""",
            name, slug, description, is_public, owner_id, invite_code,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "workspaces_slug_key":
            raise SlugTaken from None
        raise
    await add_member(conn, workspace_id, owner_id, "OWNER")
    return await for_member(conn, workspace_id, owner_id)


async def for_member(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    """The workspace with the caller's role, or None when the caller is not a member."""
    return await conn.fetchrow(
        f"""SELECT {_COLUMNS}, m.role FROM workspaces w
            JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $2
            WHERE w.id = $1""",
        workspace_id, user_id,
    )


async def by_invite_code(conn: asyncpg.Connection, invite_code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM workspaces w WHERE w.invite_code = $1", invite_code)


async def list_for_user(conn: asyncpg.Connection, user_id: UUID, *, after: str | None, limit: int) -> list[asyncpg.Record]:
    p = Params(user_id)
    return await conn.fetch(
        f"""SELECT {_COLUMNS}, m.role FROM workspaces w
            JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = $1
            WHERE {where(p.when(after, "w.slug > {}"))} ORDER BY w.slug LIMIT {p(limit)}""",
        *p.values,
    )


async def update(conn: asyncpg.Connection, workspace_id: UUID, changes: dict[str, Any]) -> None:
    p = Params(workspace_id)
    if assignments := p.assignments(changes, UPDATABLE):
        await conn.execute(f"UPDATE workspaces SET {assignments}, updated_at = now() WHERE id = $1", *p.values)


async def delete(conn: asyncpg.Connection, workspace_id: UUID) -> None:
    await conn.execute("DELETE FROM workspaces WHERE id = $1", workspace_id)


async def add_member(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, role: str) -> bool:
    """False when the user already was a member (their role is left as it was)."""
    status = await conn.execute(
        """INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (workspace_id, user_id) DO NOTHING""",
        workspace_id, user_id, role,
    )
    return status == "INSERT 0 1"


async def member_role(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> str | None:
    return await conn.fetchval(
        "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2", workspace_id, user_id,
    )


async def set_member_role(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID, role: str) -> None:
    await conn.execute("UPDATE workspace_members SET role = $3 WHERE workspace_id = $1 AND user_id = $2",
                       workspace_id, user_id, role)


async def remove_member(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> list[UUID]:
    """Remove the member and their channel memberships there; return the channels they left."""
    channels = await conn.fetch(
        """DELETE FROM channel_members cm USING channels c
           WHERE cm.channel_id = c.id AND c.workspace_id = $1 AND cm.user_id = $2
           RETURNING cm.channel_id""",
        workspace_id, user_id,
    )
    await conn.execute("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
                       workspace_id, user_id)
    return [row["channel_id"] for row in channels]


_MEMBER = """SELECT m.user_id, u.username, u.display_name, u.avatar_url, m.role, m.nickname, m.joined_at
             FROM workspace_members m JOIN users u ON u.id = m.user_id"""


async def member(conn: asyncpg.Connection, workspace_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_MEMBER} WHERE m.workspace_id = $1 AND m.user_id = $2", workspace_id, user_id)


async def members(conn: asyncpg.Connection, workspace_id: UUID, *, after: str | None,
                  limit: int) -> list[asyncpg.Record]:
    p = Params(workspace_id)
    conditions = where("m.workspace_id = $1", p.when(after, "lower(u.username) > {}"))
    return await conn.fetch(f"{_MEMBER} WHERE {conditions} ORDER BY lower(u.username) LIMIT {p(limit)}", *p.values)


async def ids_for_user(conn: asyncpg.Connection, user_id: UUID) -> list[UUID]:
    rows = await conn.fetch("SELECT workspace_id FROM workspace_members WHERE user_id = $1", user_id)
    return [row["workspace_id"] for row in rows]


async def users_sharing_with(conn: asyncpg.Connection, user_id: UUID) -> list[UUID]:
    """Everyone who shares at least one workspace with the user (the user included)."""
    rows = await conn.fetch(
        """SELECT DISTINCT other.user_id FROM workspace_members mine
           JOIN workspace_members other ON other.workspace_id = mine.workspace_id
           WHERE mine.user_id = $1""",
        user_id,
    )
    return [row["user_id"] for row in rows]
