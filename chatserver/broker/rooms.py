"""Room names, in one place, so actions and the socket layer agree on them."""

from __future__ import annotations

from uuid import UUID


def user(user_id: UUID | str) -> str:
    return f"user:{user_id}"


def session(session_id: UUID | str) -> str:
    return f"session:{session_id}"


def workspace(workspace_id: UUID | str) -> str:
    return f"workspace:{workspace_id}"


def channel(channel_id: UUID | str) -> str:
    return f"channel:{channel_id}"


def conversation(conversation_id: UUID | str) -> str:
    return f"conversation:{conversation_id}"
