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


STREAM_KINDS = ("channel", "conversation")


def stream(kind: str, stream_id: UUID | str) -> str:
    """The room of a channel or direct conversation."""
    assert kind in STREAM_KINDS, kind
    return f"{kind}:{stream_id}"


def stream_of(room: str) -> tuple[str, str] | None:
    """(kind, id) when `room` is a channel's or direct conversation's room."""
    kind, _, stream_id = room.partition(":")
    return (kind, stream_id) if kind in STREAM_KINDS else None
