"""Room names, in one place, so actions and the socket layer agree on them."""

from __future__ import annotations

from uuid import UUID


def user(user_id: UUID | str) -> str:
    return f"user:{user_id}"


def session(session_id: UUID | str) -> str:
    return f"session:{session_id}"
