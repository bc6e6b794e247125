"""Entering a community's tenant scope, as one who sees it or as one who manages it, for the
CommunityOS resources (tiers and billing, the bot configuration, analytics)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal
from chatserver.db.tenancy import scope
from chatserver.errors import forbidden, not_found
from chatserver.schemas.roles import COMMUNITY_ROLES
from chatserver.store import communities


async def enter(conn: asyncpg.Connection, principal: Principal, community_id: UUID) -> None:
    """Scope the open transaction to the community (row-level security), which the caller must see:
    `not_found` otherwise."""
    await scope(conn, community_id=community_id, user_id=principal.user_id)
    if await communities.visible(conn, community_id, principal.user_id, is_admin=principal.is_admin) is None:
        raise not_found("community")


async def enter_as_manager(conn: asyncpg.Connection, principal: Principal, community_id: UUID) -> None:
    """`enter`, and check that the caller is the community's admin or owner, or a platform admin:
    `forbidden` for one they see but do not manage."""
    await enter(conn, principal, community_id)
    if not principal.is_admin and not COMMUNITY_ROLES.at_least(
            await communities.active_role(conn, community_id, principal.user_id), "admin"):
        raise forbidden("only the community's admins and owner may do this")
