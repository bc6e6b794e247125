"""Who may see and change the rows of a generic resource.

A policy answers three questions: which rows the caller may see (a store scope,
rendered into every query, so nothing leaks through lists or filters), whether the
caller may create a row with these values, and whether the caller may change or
delete this row. Platform admins (users.role = 'admin') may do everything, except
where a policy keeps someone's inbox private (`admin_sees_all=False`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from chatserver.actions.context import Principal
from chatserver.errors import forbidden
from chatserver.schemas.roles import COMMUNITY_ROLES
from chatserver.store import communities
from chatserver.store.generic import AnyOf, ColumnIs, CommunityVisible, Everyone, Nobody, UserIs

__all__ = ["ColumnIs"]  # a scope for `Published(readable=...)`: rows whose column holds a fixed value


class Policy:
    """The base: admins everything, everybody else nothing. Subclasses open it up."""

    admin_sees_all: bool = True
    # Whether the scope or the checks read community members, a tenant table under row-level security
    # (sql/035): then the caller is set on the transaction first (actions/resources.py).
    reads_members = False

    def scope(self, principal: Principal) -> Any:
        if principal.is_admin and self.admin_sees_all:
            return Everyone()
        return self.member_scope(principal)

    def member_scope(self, principal: Principal) -> Any:
        return Nobody()

    def owned_values(self, principal: Principal) -> dict[str, Any]:
        """Columns a new row takes from its creator, whatever the body said."""
        return {}

    async def check_create(self, conn: asyncpg.Connection, principal: Principal, values: Mapping[str, Any]) -> None:
        if not principal.is_admin:
            raise forbidden("only admins may create these")

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        if not principal.is_admin:
            raise forbidden(f"only admins may {op} this")


@dataclass(frozen=True)
class AdminManaged(Policy):
    """Reference data (skills, message types): everyone signed in reads, admins write."""

    read_by_all: bool = True

    def member_scope(self, principal: Principal) -> Any:
        return Everyone() if self.read_by_all else Nobody()


@dataclass(frozen=True)
class Owned(Policy):
    """A user's own rows: only they (and admins) see and change them."""

    owner: str = "user_id"
    admin_sees_all: bool = True
    can_delete: bool = True

    def member_scope(self, principal: Principal) -> Any:
        return UserIs(self.owner)

    def owned_values(self, principal: Principal) -> dict[str, Any]:
        return {self.owner: principal.user_id}

    async def check_create(self, conn: asyncpg.Connection, principal: Principal, values: Mapping[str, Any]) -> None:
        return None

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        if principal.is_admin:
            return
        if row[self.owner] != principal.user_id or (op == "delete" and not self.can_delete):
            raise forbidden(f"you may not {op} this")


@dataclass(frozen=True)
class Published(Owned):
    """Rows anyone signed in reads (or those matching `readable`); their owner changes them.

    `creator_roles` limits who may create: ('recruiter',) for job postings.
    """

    readable: Any = None
    creator_roles: tuple[str, ...] = ()

    def member_scope(self, principal: Principal) -> Any:
        if self.readable is None:
            return Everyone()
        return AnyOf((UserIs(self.owner), self.readable))

    async def check_create(self, conn: asyncpg.Connection, principal: Principal, values: Mapping[str, Any]) -> None:
        if self.creator_roles and principal.role not in self.creator_roles and not principal.is_admin:
            raise forbidden(f"only {' and '.join(self.creator_roles)}s may create these")


@dataclass(frozen=True)
class InCommunity(Owned):
    """Rows inside a community: readable where the community is, written by its active members;
    the author edits, the author or a community moderator (or higher) deletes."""

    community: str = "community_id"
    reads_members = True

    def member_scope(self, principal: Principal) -> Any:
        return CommunityVisible(self.community)

    async def check_create(self, conn: asyncpg.Connection, principal: Principal, values: Mapping[str, Any]) -> None:
        if principal.is_admin:
            return
        role = await communities.active_role(conn, values[self.community], principal.user_id)
        if role is None:
            raise forbidden("only active members may post in this community")

    async def check_change(self, conn: asyncpg.Connection, principal: Principal, row: Mapping[str, Any],
                           op: str) -> None:
        if principal.is_admin or row[self.owner] == principal.user_id:
            return
        if op == "delete":
            role = await communities.active_role(conn, row[self.community], principal.user_id)
            if COMMUNITY_ROLES.at_least(role, "moderator"):
                return
        raise forbidden(f"you may not {op} this")
