"""SmileFactory groups and their memberships (032). The active count is kept by a trigger and
capped by a CHECK (groups_within_capacity); a group's chat is a channel of its own workspace,
whose rows the group's actions keep in step through store/workspaces.py and store/channels.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store import embeddings
from chatserver.store.params import Params, where

GROUP_FIELDS = frozenset({"name", "description", "category", "visibility", "membership_type", "max_members",
                          "status", "rules", "cover_image_url", "tags", "location"})


class GroupFull(Exception):
    """The change would put more active members in the group than its cap."""


# The group with the viewer's membership ($1 the viewer).
_GROUP = """SELECT g.*, m.role AS my_role, m.status AS my_status
              FROM groups g LEFT JOIN group_memberships m ON m.group_id = g.id AND m.user_id = $1"""

# Who may see a group ($1 the viewer, $2 whether they are a platform admin): public and private
# groups everyone; hidden ones only their active and pending members.
_VISIBLE = "($2 OR g.visibility <> 'hidden' OR m.status IN ('active', 'pending'))"

_MEMBER = """SELECT m.id, m.group_id, m.user_id, m.role, m.status, m.joined_at, m.left_at, m.invited_by,
                    m.updated_at, u.username, u.display_name
               FROM group_memberships m JOIN users u ON u.id = m.user_id"""


def _capacity(exc: asyncpg.CheckViolationError) -> bool:
    return exc.constraint_name == "groups_within_capacity"


async def insert_group(conn: asyncpg.Connection, created_by: UUID, values: Mapping[str, Any], *,
                       invite_code: str, workspace_id: UUID, channel_id: UUID) -> UUID:
    columns = [name for name in values if name in GROUP_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(5, len(columns) + 5))
    return await conn.fetchval(
        f"""INSERT INTO groups (created_by, invite_code, workspace_id, channel_id, {', '.join(columns)})
            VALUES ($1, $2, $3, $4, {placeholders}) RETURNING id""",
        created_by, invite_code, workspace_id, channel_id, *(values[name] for name in columns))


async def group(conn: asyncpg.Connection, group_id: UUID, viewer_id: UUID, *,
                lock: bool = False) -> asyncpg.Record | None:
    """The group with the viewer's role and status; `lock` holds the group row until the
    transaction ends, so membership changes of one group happen one at a time."""
    if lock:
        await conn.execute("SELECT 1 FROM groups WHERE id = $1 FOR UPDATE", group_id)
    return await conn.fetchrow(f"{_GROUP} WHERE g.id = $2", viewer_id, group_id)


async def id_by_invite_code(conn: asyncpg.Connection, invite_code: str) -> UUID | None:
    return await conn.fetchval("SELECT id FROM groups WHERE invite_code = $1", invite_code)


async def page(conn: asyncpg.Connection, viewer_id: UUID, is_admin: bool, *, equal: Mapping[str, Any],
               tag: str | None, search: str | None, mine: bool, after: tuple[datetime, UUID] | None,
               limit: int) -> list[asyncpg.Record]:
    """Newest first; `equal` names columns of GROUP_FIELDS only."""
    assert all(column in GROUP_FIELDS for column in equal), equal
    p = Params(viewer_id, is_admin)
    conditions = where(_VISIBLE, *(f"g.{column} = {p(value)}" for column, value in equal.items()),
                       p.when(tag, "g.tags @> ARRAY[{}]::text[]"),
                       p.when(search, "strpos(lower(g.name), lower({})) > 0"),
                       "m.status = 'active'" if mine else None,
                       p.after("g.created_at", "g.id", after))
    return await conn.fetch(f"{_GROUP} WHERE {conditions} ORDER BY g.created_at DESC, g.id DESC LIMIT {p(limit)}",
                            *p.values)


async def similar(conn: asyncpg.Connection, viewer_id: UUID, group_id: UUID, vector: str, model: str, *,
                  limit: int) -> list[asyncpg.Record]:
    """Active groups the viewer may see (as anyone, not as an admin), other than `group_id`, nearest to
    `vector` first; each with the viewer's membership and its cosine `distance`."""
    p = Params(viewer_id, False)
    join, distance = embeddings.nearest(p, "group", "g.id", vector, model)
    conditions = where(_VISIBLE, "g.status = 'active'", f"g.id <> {p(group_id)}")
    return await conn.fetch(f"{_GROUP.replace('SELECT ', f'SELECT {distance} AS distance, ', 1)} {join}"
                            f" WHERE {conditions} ORDER BY {distance} LIMIT {p(limit)}", *p.values)


async def update_group(conn: asyncpg.Connection, group_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(group_id)
    assignments = ", ".join(filter(None, [p.assignments(changes, GROUP_FIELDS), "updated_at = now()"]))
    try:
        await conn.execute(f"UPDATE groups SET {assignments} WHERE id = $1", *p.values)
    except asyncpg.CheckViolationError as exc:
        if _capacity(exc):
            raise GroupFull from None
        raise


async def set_invite_code(conn: asyncpg.Connection, group_id: UUID, invite_code: str) -> None:
    await conn.execute("UPDATE groups SET invite_code = $2, updated_at = now() WHERE id = $1", group_id, invite_code)


async def membership(conn: asyncpg.Connection, group_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_MEMBER} WHERE m.group_id = $1 AND m.user_id = $2", group_id, user_id)


async def put_membership(conn: asyncpg.Connection, group_id: UUID, user_id: UUID, *, status: str,
                         role: str = "member", invited_by: UUID | None = None) -> None:
    """Create the membership or move it to `status` (a new joining time when it becomes active);
    GroupFull when that would pass the cap."""
    try:
        await conn.execute(
            """INSERT INTO group_memberships AS m (group_id, user_id, role, status, invited_by)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (group_id, user_id) DO UPDATE
                  SET status = EXCLUDED.status, role = EXCLUDED.role, updated_at = now(),
                      invited_by = coalesce(EXCLUDED.invited_by, m.invited_by),
                      joined_at = CASE WHEN EXCLUDED.status = 'active' AND m.status <> 'active' THEN now()
                                       ELSE m.joined_at END,
                      left_at = CASE WHEN EXCLUDED.status IN ('left', 'banned') THEN now() END""",
            group_id, user_id, role, status, invited_by)
    except asyncpg.CheckViolationError as exc:
        if _capacity(exc):
            raise GroupFull from None
        raise


async def set_role(conn: asyncpg.Connection, group_id: UUID, user_id: UUID, role: str) -> None:
    await conn.execute("UPDATE group_memberships SET role = $3, updated_at = now() WHERE group_id = $1 AND user_id = $2",
                       group_id, user_id, role)


async def admin_count(conn: asyncpg.Connection, group_id: UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM group_memberships WHERE group_id = $1 AND status = 'active' AND role = 'admin'",
        group_id)


async def active_member_ids(conn: asyncpg.Connection, group_id: UUID) -> list[UUID]:
    rows = await conn.fetch("SELECT user_id FROM group_memberships WHERE group_id = $1 AND status = 'active'",
                            group_id)
    return [row["user_id"] for row in rows]


async def members(conn: asyncpg.Connection, group_id: UUID, *, status: str, role: str | None,
                  after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """In the order they joined (or asked to)."""
    p = Params(group_id, status)
    conditions = where("m.group_id = $1 AND m.status = $2", p.when(role, "m.role = {}"),
                       p.after("m.joined_at", "m.user_id", after, ascending=True))
    return await conn.fetch(f"{_MEMBER} WHERE {conditions} ORDER BY m.joined_at, m.user_id LIMIT {p(limit)}",
                            *p.values)


async def set_chat_role(conn: asyncpg.Connection, channel_id: UUID, user_id: UUID, role: str) -> None:
    """The member's role in the group's own channel, which follows their group role."""
    await conn.execute("UPDATE channel_members SET role = $3 WHERE channel_id = $1 AND user_id = $2",
                       channel_id, user_id, role)
