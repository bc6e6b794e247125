"""Entering a community's tenant scope as one who manages it, for the CommunityOS resources that only
its admins and owner handle (the bot configuration, analytics)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal
from chatserver.db.tenancy import scope
from chatserver.errors import forbidden, not_found
from chatserver.schemas.roles import COMMUNITY_ROLES
from chatserver.store import communities


async def enter_as_manager(conn: asyncpg.Connection, principal: Principal, community_id: UUID) -> None:
    """Scope the open transaction to the community (row-level security) and check that the caller is
    its admin or owner, or a platform admin: `not_found` for a community they cannot see, `forbidden`
    for one they see but do not manage."""
    await scope(conn, community_id=community_id, user_id=principal.user_id)
    if await communities.visible(conn, community_id, principal.user_id, is_admin=principal.is_admin) is None:
        raise not_found("community")
    if not principal.is_admin and not COMMUNITY_ROLES.at_least(
            await communities.active_role(conn, community_id, principal.user_id), "admin"):
        raise forbidden("only the community's admins and owner may do this")
