"""What operators do from the command line (`chatserver users set-role`, `chatserver migrate-legacy-ai`)."""

from __future__ import annotations

from dataclasses import dataclass

from chatserver.actions.context import Services
from chatserver.store import ai_chats, users


@dataclass(frozen=True, slots=True)
class RoleChange:
    username: str
    before: str
    after: str


async def set_platform_role(svc: Services, login: str, role: str) -> RoleChange | None:
    """Give the user with this username or email a platform role; None when there is no such user."""
    async with svc.db.transaction("set_platform_role") as conn:
        changed = await users.set_role(conn, login, role)
    if changed is None:
        return None
    user, before = changed
    return RoleChange(user["username"], before, role)


async def move_legacy_ai_chats(svc: Services) -> tuple[int, int]:
    """Move the career platform's deprecated AI chat rows (Message, Vote), loaded into
    legacy_ai_chat_messages / legacy_ai_chat_votes, into the current tables: (messages, votes)
    moved. Safe to run again: moved rows leave the staging tables."""
    async with svc.db.transaction("move_legacy_ai_chats") as conn:
        row = await ai_chats.move_legacy_messages(conn)
    return row["messages_moved"], row["votes_moved"]
