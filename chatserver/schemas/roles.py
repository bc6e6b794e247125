"""Roles: the names the wire and the database use, and the one way to rank them.

Workspaces and channels name their roles in capitals (sql/002_chat.sql), communities in lower
case (sql/020_communities.sql); each set is a ladder, and roles are compared only through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

WorkspaceRole = Literal["OWNER", "ADMIN", "MODERATOR", "MEMBER", "GUEST"]  # also a channel member's role
CommunityRole = Literal["member", "moderator", "admin", "owner"]
GroupRole = Literal["member", "moderator", "admin"]  # SmileFactory groups (sql/032)


class Ladder:
    """A set of roles from the lowest to the highest."""

    def __init__(self, lowest_first: Iterable[str]) -> None:
        self._rank = {role: rank for rank, role in enumerate(lowest_first)}
        self.above_all = len(self._rank)  # a rank higher than every role (platform admins)

    def rank(self, role: str | None) -> int:
        """The role's place on the ladder; -1 for no role."""
        return -1 if role is None else self._rank[role]

    def at_least(self, role: str | None, wanted: str) -> bool:
        return self.rank(role) >= self._rank[wanted]


WORKSPACE_ROLES = Ladder(reversed(get_args(WorkspaceRole)))
COMMUNITY_ROLES = Ladder(get_args(CommunityRole))
GROUP_ROLES = Ladder(get_args(GroupRole))
