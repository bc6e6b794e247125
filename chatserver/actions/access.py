"""Who may do what to a workspace, channel, conversation or message.

Every check answers `not_found` when the caller may not even know the thing
exists, and `forbidden` when they may see it but not do this to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal
from chatserver.broker import Event, Position, rooms
from chatserver.errors import ApiError, forbidden, not_found
from chatserver.schemas.events import P, ServerEvent
from chatserver.schemas.roles import WORKSPACE_ROLES
from chatserver.store import channels, conversations, messages, users, workspaces

at_least = WORKSPACE_ROLES.at_least  # workspace and channel roles


async def active_user(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record:
    """Someone the caller may address; a deactivated account is as good as absent."""
    user = await users.by_id(conn, user_id)
    if user is None or not user["is_active"]:
        raise not_found("user")
    return user


async def workspace_role(conn: asyncpg.Connection, workspace_id: UUID, principal: Principal,
                         wanted: str = "GUEST") -> asyncpg.Record:
    """The workspace with the caller's role, if they hold at least `wanted`."""
    workspace = await workspaces.for_member(conn, workspace_id, principal.user_id)
    if workspace is None:
        raise not_found("workspace")
    if not at_least(workspace["role"], wanted):
        raise forbidden(f"needs the {wanted} role in this workspace")
    return workspace


@dataclass(frozen=True, slots=True)
class StreamRef:
    """A channel or direct conversation by kind and id, before anyone's access to it is checked."""

    kind: str  # "channel" or "conversation"
    id: UUID

    @classmethod
    def channel(cls, channel_id: UUID) -> StreamRef:
        return cls("channel", channel_id)

    @classmethod
    def conversation(cls, conversation_id: UUID) -> StreamRef:
        return cls("conversation", conversation_id)

    @classmethod
    def named(cls, channel_id: UUID | None, conversation_id: UUID | None) -> StreamRef:
        """The stream an input names by one of channelId and conversationId."""
        return cls.channel(channel_id) if channel_id is not None else cls.conversation(conversation_id)

    @classmethod
    def of_message(cls, message: asyncpg.Record) -> StreamRef:
        return cls(*messages.stream_of(message))

    @classmethod
    def of_room(cls, room: str) -> StreamRef:
        stream = rooms.stream_of(room)
        if stream is None:
            raise ValueError(f"{room!r} is not the room of a channel or direct conversation")
        return cls(stream[0], UUID(stream[1]))

    @property
    def room(self) -> str:
        return rooms.stream(self.kind, self.id)

    def ids(self) -> dict[str, UUID | None]:
        """channel_id / conversation_id keyword arguments for the store."""
        return messages.stream_ids(self.kind, self.id)

    def change(self, event: ServerEvent[P], payload: P, message: asyncpg.Record, *, new: bool = False) -> Event:
        """The event telling the stream's room of a change to `message`, placed in the stream's order."""
        position = Position(self.kind, str(self.id), message["change_seq"], message["seq"] if new else None)
        return event.to((self.room,), payload, position=position)


@dataclass(frozen=True, slots=True)
class Stream:
    """A channel or direct conversation the caller takes part in."""

    kind: str  # "channel" or "conversation"
    record: asyncpg.Record
    channel_role: str | None = None
    workspace_role: str | None = None

    @property
    def id(self) -> UUID:
        return self.record["id"]

    @property
    def ref(self) -> StreamRef:
        return StreamRef(self.kind, self.id)

    @property
    def room(self) -> str:
        return self.ref.room

    def change(self, event: ServerEvent[P], payload: P, message: asyncpg.Record, *, new: bool = False) -> Event:
        return self.ref.change(event, payload, message, new=new)

    @property
    def archived(self) -> bool:
        return self.kind == "channel" and self.record["is_archived"]

    def ids(self) -> dict[str, UUID | None]:
        return self.ref.ids()

    def require_writable(self) -> None:
        if self.archived:
            raise forbidden("the channel is archived: it is read-only")

    def may_moderate(self) -> bool:
        return self.kind == "channel" and (at_least(self.channel_role, "MODERATOR")
                                           or at_least(self.workspace_role, "MODERATOR"))

    def may_manage(self) -> bool:
        return self.kind == "channel" and (at_least(self.channel_role, "ADMIN")
                                           or at_least(self.workspace_role, "ADMIN"))


async def channel_access(conn: asyncpg.Connection, channel_id: UUID, principal: Principal) -> Stream:
    """The channel as the caller sees it: members and workspace members of public channels."""
    row = await channels.access(conn, channel_id, principal.user_id)
    if row is None or row["workspace_role"] is None or (row["is_private"] and row["channel_role"] is None):
        raise not_found("channel")
    return Stream("channel", row, row["channel_role"], row["workspace_role"])


async def channel_member(conn: asyncpg.Connection, channel_id: UUID, principal: Principal) -> Stream:
    stream = await channel_access(conn, channel_id, principal)
    if stream.channel_role is None:
        raise forbidden("join the channel first")
    return stream


async def conversation_member(conn: asyncpg.Connection, conversation_id: UUID, principal: Principal) -> Stream:
    row = await conversations.by_id(conn, conversation_id)
    if row is None or principal.user_id not in (row["user_a_id"], row["user_b_id"]):
        raise not_found("conversation")
    return Stream("conversation", row)


async def stream_member(conn: asyncpg.Connection, ref: StreamRef, principal: Principal) -> Stream:
    """The stream, if the caller takes part in it."""
    if ref.kind == "channel":
        return await channel_member(conn, ref.id, principal)
    return await conversation_member(conn, ref.id, principal)


async def message_in_stream(conn: asyncpg.Connection, message_id: UUID, principal: Principal, *,
                            lock: bool = False) -> tuple[asyncpg.Record, Stream]:
    """A message the caller may read, with its stream; `lock` holds the row until the commit."""
    message = await messages.by_id(conn, message_id, for_update=lock)
    if message is None:
        raise not_found("message")
    try:
        stream = await stream_member(conn, StreamRef.of_message(message), principal)
    except ApiError:  # the caller may not read it, so to them it does not exist
        raise not_found("message") from None
    return message, stream
