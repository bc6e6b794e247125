"""Communities: creating and managing them, joining and leaving, members and their roles.

Members are a tenant table under row-level security (sql/035): every transaction here first says which
community it acts in and for whom (`_tenant`); without that the caller's rows read as absent.

Roles rank member < moderator < admin < owner. Moderators approve join requests and
remove members below them; admins also set roles below admin; the owner sets any role
and may hand the community over. Platform admins act as the owner everywhere, but a
community always keeps exactly one owner.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.db.tenancy import scope
from chatserver.errors import ApiError, conflict, forbidden, not_found
from chatserver.schemas.communities import (
    CommunityIn,
    CommunityOut,
    CommunityPage,
    CommunityQuery,
    CommunityUpdateIn,
    MemberOut,
    MemberPage,
    MemberQuery,
    MemberUpdateIn,
)
from chatserver.schemas.pagination import by_columns, fetch_page
from chatserver.schemas.roles import COMMUNITY_ROLES
from chatserver.store import communities


async def _tenant(conn: asyncpg.Connection, principal: Principal, community_id: UUID | None = None) -> None:
    """The community acted in (None for lists across communities) and the caller, whose own memberships
    are visible everywhere."""
    await scope(conn, community_id=community_id, user_id=principal.user_id)


def _taken(taken: communities.SlugTaken) -> ApiError:
    field = "discordGuildId" if taken.field == "discord_guild_id" else "slug"
    return conflict(f"{field} is taken", field=field)


def _render(row: asyncpg.Record) -> CommunityOut:
    active = row["my_status"] == "active"
    return CommunityOut.from_row(row, my_role=row["my_role"] if active else None)


async def _visible(conn: asyncpg.Connection, principal: Principal, community_id: UUID) -> asyncpg.Record:
    row = await communities.visible(conn, community_id, principal.user_id, is_admin=principal.is_admin)
    if row is None:
        raise not_found("community")
    return row


async def _rank(conn: asyncpg.Connection, principal: Principal, community_id: UUID) -> int:
    """The caller's rank in the community: -1 for none, above owner for platform admins."""
    if principal.is_admin:
        return COMMUNITY_ROLES.above_all
    role = await communities.active_role(conn, community_id, principal.user_id)
    return COMMUNITY_ROLES.rank(role)


async def create_community(svc: Services, principal: Principal, body: CommunityIn) -> CommunityOut:
    try:
        async with svc.db.transaction("create_community") as conn:
            community_id = await communities.create(conn, principal.user_id, body.model_dump(exclude_none=True))
            await _tenant(conn, principal, community_id)
            await communities.add_member(conn, community_id, principal.user_id, role="owner", status="active")
            return _render(await _visible(conn, principal, community_id))
    except communities.SlugTaken as taken:
        raise _taken(taken) from None


async def get_community(svc: Services, principal: Principal, community_id: UUID) -> CommunityOut:
    async with svc.db.transaction("get_community") as conn:
        await _tenant(conn, principal, community_id)
        return _render(await _visible(conn, principal, community_id))


async def list_communities(svc: Services, principal: Principal, query: CommunityQuery) -> CommunityPage:
    async with svc.db.transaction("list_communities") as conn:
        await _tenant(conn, principal)
        window = await fetch_page(query, lambda after, limit: communities.list_visible(
            conn, principal.user_id, is_admin=principal.is_admin, mine=query.mine, after=after, limit=limit))
    return CommunityPage.of(window, _render)


async def update_community(svc: Services, principal: Principal, community_id: UUID,
                           body: CommunityUpdateIn) -> CommunityOut:
    try:
        async with svc.db.transaction("update_community") as conn:
            await _tenant(conn, principal, community_id)
            await _visible(conn, principal, community_id)
            if await _rank(conn, principal, community_id) < COMMUNITY_ROLES.rank("admin"):
                raise forbidden("only the community's admins and owner may change it")
            changes = body.model_dump(exclude_unset=True)
            if not principal.is_admin and {"status", "subscription_tier"} & changes.keys():
                raise forbidden("only platform admins set a community's status and plan")
            await communities.update(conn, community_id, changes)
            return _render(await _visible(conn, principal, community_id))
    except communities.SlugTaken as taken:
        raise _taken(taken) from None


async def delete_community(svc: Services, principal: Principal, community_id: UUID) -> None:
    async with svc.db.transaction("delete_community") as conn:
        await _tenant(conn, principal, community_id)
        await _visible(conn, principal, community_id)
        if await _rank(conn, principal, community_id) < COMMUNITY_ROLES.rank("owner"):
            raise forbidden("only the owner may delete a community")
        await communities.delete(conn, community_id)


async def join(svc: Services, principal: Principal, community_id: UUID) -> MemberOut:
    """Join a public community, or ask to join a private one (knowing its id is the invitation)."""
    async with svc.db.transaction("join_community") as conn:
        await _tenant(conn, principal, community_id)
        community = await communities.lock_community(conn, community_id)
        if community is None:
            raise not_found("community")
        status = "pending" if community["is_private"] else "active"
        try:
            await communities.add_member(conn, community_id, principal.user_id, role="member", status=status)
        except communities.AlreadyMember:
            raise conflict("you are a member already, or your request is waiting") from None
        return MemberOut.render(await communities.member(conn, community_id, principal.user_id), sees_billing=True)


async def list_members(svc: Services, principal: Principal, community_id: UUID, query: MemberQuery) -> MemberPage:
    async def members(after: tuple | None, limit: int) -> list[asyncpg.Record]:
        async with svc.db.transaction("list_community_members") as conn:
            await _tenant(conn, principal, community_id)
            await _visible(conn, principal, community_id)
            # Who asked to join is for those who decide on it.
            sees_pending = await _rank(conn, principal, community_id) >= COMMUNITY_ROLES.rank("moderator")
            if query.status == "pending" and not sees_pending:
                raise forbidden("only moderators see join requests")
            sees_billing[0] = await _rank(conn, principal, community_id) >= COMMUNITY_ROLES.rank("admin")
            return await communities.list_members(conn, community_id, include_pending=sees_pending,
                                                  status=query.status, after=after, limit=limit)

    sees_billing = [False]  # set by the read: a member's spending is for them and the community's admins
    window = await fetch_page(query, members, by_columns("joined_at", "id"))
    return MemberPage.of(window, lambda row: MemberOut.render(
        row, sees_billing=sees_billing[0] or row["user_id"] == principal.user_id))


async def _locked_target(conn: asyncpg.Connection, community_id: UUID, user_id: UUID) -> asyncpg.Record:
    if await communities.lock_community(conn, community_id) is None:
        raise not_found("community")
    target = await communities.member(conn, community_id, user_id, lock=True)
    if target is None:
        raise not_found("member")
    return target


async def update_member(svc: Services, principal: Principal, community_id: UUID, user_id: UUID,
                        body: MemberUpdateIn) -> MemberOut:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_community_member") as conn:
        await _tenant(conn, principal, community_id)
        await _visible(conn, principal, community_id)
        target = await _locked_target(conn, community_id, user_id)
        rank = await _rank(conn, principal, community_id)
        if rank < COMMUNITY_ROLES.rank("moderator"):  # even a change to the same value: strangers learn nothing
            raise forbidden("only moderators and above change members")
        status = changes.get("status", target["status"])
        role = changes.get("role", target["role"])
        if role != target["role"]:
            await _check_role_change(conn, principal, rank, community_id, target, role, status)
        if role == "owner" and target["role"] != "owner":
            owner_id = await communities.owner_of(conn, community_id)
            await communities.set_member(conn, community_id, owner_id, role="admin", status="active")
        await communities.set_member(conn, community_id, user_id, role=role, status=status)
        try:
            await communities.update_member_details(conn, community_id, user_id, changes)
        except communities.DiscordUserTaken:
            raise conflict("another member of the community has this Discord id", field="discordUserId") from None
        return MemberOut.render(await communities.member(conn, community_id, user_id),
                                sees_billing=rank >= COMMUNITY_ROLES.rank("admin") or user_id == principal.user_id)


async def _check_role_change(conn: asyncpg.Connection, principal: Principal, rank: int, community_id: UUID,
                             target: asyncpg.Record, role: str, status: str) -> None:
    # Who may act is settled first: someone without the right gets 403 whatever the member's state,
    # and learns nothing of the community's rules.
    if role == "owner" or target["role"] == "owner":
        if rank < COMMUNITY_ROLES.rank("owner"):
            raise forbidden("only the owner may hand the community over")
    elif rank < COMMUNITY_ROLES.rank("admin") or rank <= max(COMMUNITY_ROLES.rank(target["role"]),
                                                               COMMUNITY_ROLES.rank(role)):
        raise forbidden("you may only set roles below your own, on members below you")
    if status != "active":
        raise conflict("approve the join request before giving a role")
    if target["role"] == "owner":
        raise conflict("the owner's role changes only by handing the community to someone else")


async def remove_member(svc: Services, principal: Principal, community_id: UUID, user_id: UUID) -> None:
    """Leave (yourself) or remove someone below you; the owner cannot leave without handing over."""
    async with svc.db.transaction("remove_community_member") as conn:
        await _tenant(conn, principal, community_id)
        if user_id != principal.user_id:
            await _visible(conn, principal, community_id)
        target = await _locked_target(conn, community_id, user_id)
        # Permission before the owner rule, so that a stranger gets 403, not the community's rules.
        if user_id != principal.user_id:
            rank = await _rank(conn, principal, community_id)
            if rank < COMMUNITY_ROLES.rank("moderator") or rank <= COMMUNITY_ROLES.rank(target["role"]):
                raise forbidden("you may only remove members below you")
        if target["role"] == "owner":
            raise conflict("the owner cannot leave; hand the community to someone else first")
        await communities.remove_member(conn, community_id, user_id)
