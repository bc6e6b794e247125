"""Communities and their members (GrowCommunity and the career platform, merged)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

# What the wire shows of a community, with the caller's own membership.
_COMMUNITY = """
    c.id, c.name, c.slug, c.description, c.avatar_url, c.banner_image, c.created_by, c.is_private,
    c.is_active, c.settings, c.member_count, c.discord_guild_id, c.status, c.subscription_tier, c.created_at,
    c.updated_at,
    me.role AS my_role, me.status AS my_status
"""
_FROM = "communities c LEFT JOIN community_members me ON me.community_id = c.id AND me.user_id = $1"
# A private community is seen by its members (pending ones included) and admins only.
_VISIBLE = "(NOT c.is_private OR me.user_id IS NOT NULL OR $2)"

COMMUNITY_FIELDS = frozenset({"name", "slug", "description", "avatar_url", "banner_image", "is_private",
                              "is_active", "settings", "discord_guild_id", "status", "subscription_tier"})
MEMBER_FIELDS = frozenset({"nickname", "discord_user_id", "roles", "is_active"})

_MEMBER = """
    m.id, m.community_id, m.user_id, m.role, m.status, m.nickname, m.joined_at, m.updated_at,
    m.discord_user_id, m.roles, m.is_active, m.subscription_status, m.subscription_tier_id,
    m.subscription_expires_at, m.total_spent,
    u.username, u.display_name, u.avatar_url
"""


class SlugTaken(Exception):
    """A unique value of the community is another's: `field` says which (slug, discord_guild_id)."""

    def __init__(self, field: str = "slug") -> None:
        super().__init__(field)
        self.field = field


class DiscordUserTaken(Exception):
    pass


def _taken(error: asyncpg.UniqueViolationError) -> SlugTaken:
    return SlugTaken("discord_guild_id" if "discord" in (error.constraint_name or "") else "slug")


class AlreadyMember(Exception):
    pass


async def create(conn: asyncpg.Connection, owner_id: UUID, values: Mapping[str, Any]) -> UUID:
    """The community, in the caller's transaction; its owner's membership is added next, in its scope."""
    columns = [name for name in values if name in COMMUNITY_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    try:
        community_id = await conn.fetchval(
            f"INSERT INTO communities (created_by{''.join(', ' + c for c in columns)})"
            f" VALUES ($1{', ' + placeholders if columns else ''}) RETURNING id",
            owner_id, *(values[c] for c in columns),
        )
    except asyncpg.UniqueViolationError as error:
        raise _taken(error) from None
    return community_id


async def visible(conn: asyncpg.Connection, community_id: UUID, user_id: UUID, *,
                  is_admin: bool) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_COMMUNITY} FROM {_FROM} WHERE c.id = $3 AND {_VISIBLE}", user_id, is_admin, community_id)


async def list_visible(conn: asyncpg.Connection, user_id: UUID, *, is_admin: bool, mine: bool,
                       after: tuple[Any, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params(user_id, is_admin)
    conditions = where(_VISIBLE, "me.status = 'active'" if mine else None, p.after("c.created_at", "c.id", after))
    return await conn.fetch(f"SELECT {_COMMUNITY} FROM {_FROM} WHERE {conditions}"
                            f" ORDER BY c.created_at DESC, c.id DESC LIMIT {p(limit)}", *p.values)


async def update(conn: asyncpg.Connection, community_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(community_id)
    if not (assignments := p.assignments(changes, COMMUNITY_FIELDS)):
        return
    try:
        await conn.execute(f"UPDATE communities SET {assignments}, updated_at = now() WHERE id = $1", *p.values)
    except asyncpg.UniqueViolationError as error:
        raise _taken(error) from None


async def delete(conn: asyncpg.Connection, community_id: UUID) -> None:
    await conn.execute("DELETE FROM communities WHERE id = $1", community_id)


async def active_role(conn: asyncpg.Connection, community_id: UUID, user_id: UUID) -> str | None:
    return await conn.fetchval(
        "SELECT role FROM community_members WHERE community_id = $1 AND user_id = $2 AND status = 'active'",
        community_id, user_id)


async def owner_of(conn: asyncpg.Connection, community_id: UUID) -> UUID | None:
    return await conn.fetchval(
        "SELECT user_id FROM community_members WHERE community_id = $1 AND role = 'owner'", community_id)


async def member(conn: asyncpg.Connection, community_id: UUID, user_id: UUID, *,
                 lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_MEMBER} FROM community_members m JOIN users u ON u.id = m.user_id"
        f" WHERE m.community_id = $1 AND m.user_id = $2" + (" FOR UPDATE OF m" if lock else ""),
        community_id, user_id)


async def lock_community(conn: asyncpg.Connection, community_id: UUID) -> asyncpg.Record | None:
    """Membership changes of one community take turns, so counts and the one owner stay right."""
    return await conn.fetchrow("SELECT id, is_private FROM communities WHERE id = $1 FOR UPDATE", community_id)


async def add_member(conn: asyncpg.Connection, community_id: UUID, user_id: UUID, *, role: str,
                     status: str) -> None:
    try:
        await conn.execute(
            "INSERT INTO community_members (community_id, user_id, role, status) VALUES ($1, $2, $3, $4)",
            community_id, user_id, role, status)
    except asyncpg.UniqueViolationError:
        raise AlreadyMember from None
    await _recount(conn, community_id)


async def set_member(conn: asyncpg.Connection, community_id: UUID, user_id: UUID, *, role: str,
                     status: str) -> None:
    await conn.execute(
        "UPDATE community_members SET role = $3, status = $4, updated_at = now()"
        " WHERE community_id = $1 AND user_id = $2", community_id, user_id, role, status)
    await _recount(conn, community_id)


async def update_member_details(conn: asyncpg.Connection, community_id: UUID, user_id: UUID,
                                 changes: Mapping[str, Any]) -> None:
    p = Params(community_id, user_id)
    if not (assignments := p.assignments(changes, MEMBER_FIELDS)):
        return
    try:
        await conn.execute(f"UPDATE community_members SET {assignments}, updated_at = now()"
                           " WHERE community_id = $1 AND user_id = $2", *p.values)
    except asyncpg.UniqueViolationError:
        raise DiscordUserTaken from None


async def remove_member(conn: asyncpg.Connection, community_id: UUID, user_id: UUID) -> None:
    await conn.execute("DELETE FROM community_members WHERE community_id = $1 AND user_id = $2",
                       community_id, user_id)
    await _recount(conn, community_id)


async def _recount(conn: asyncpg.Connection, community_id: UUID) -> None:
    await conn.execute(
        "UPDATE communities SET member_count = (SELECT count(*) FROM community_members"
        " WHERE community_id = $1 AND status = 'active') WHERE id = $1", community_id)


async def list_members(conn: asyncpg.Connection, community_id: UUID, *, include_pending: bool,
                       status: str | None, after: tuple[Any, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params(community_id)
    conditions = where("m.community_id = $1", None if include_pending else "m.status = 'active'",
                       p.when(status, "m.status = {}"), p.after("m.joined_at", "m.id", after))
    return await conn.fetch(
        f"SELECT {_MEMBER} FROM community_members m JOIN users u ON u.id = m.user_id"
        f" WHERE {conditions} ORDER BY m.joined_at DESC, m.id DESC LIMIT {p(limit)}", *p.values)
