"""Direct conversations, read markers, typing, presence and sync on the wire."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.messages import Message, Seq
from chatserver.schemas.pagination import Page, PageQuery
from chatserver.schemas.workspaces import Channel, ChannelState

PresenceStatus = Literal["ONLINE", "AWAY", "BUSY", "OFFLINE"]


class Conversation(WireModel):
    id: UUID
    other_user_id: UUID
    last_seq: int
    last_change_seq: int
    last_read_seq: int
    unread_count: int
    last_message_at: Timestamp | None
    created_at: Timestamp


class ConversationOut(WireModel):
    conversation: Conversation


class ConversationList(Page[Conversation]):
    pass


# A page of conversations, most recent first (paged by time, not by name).
ConversationQuery = PageQuery.sorted_by(max_limit=200)


class OpenConversationIn(InputModel):
    user_id: UUID


class ChannelReadIn(InputModel):
    channel_id: UUID
    seq: Seq


class ChannelReadOut(WireModel):
    channel_id: UUID
    last_read_seq: int
    unread_count: int
    mention_count: int


class DmReadIn(InputModel):
    conversation_id: UUID
    seq: Seq


class DmReadOut(WireModel):
    conversation_id: UUID
    last_read_seq: int
    unread_count: int


class ChannelRefIn(InputModel):
    channel_id: UUID


class ChannelJoinOut(WireModel):
    channel: Channel
    last_seq: int


class TypingIn(InputModel):
    channel_id: UUID | None = None
    conversation_id: UUID | None = None
    typing: bool

    @model_validator(mode="after")
    def _one_stream(self) -> TypingIn:
        if (self.channel_id is None) == (self.conversation_id is None):
            raise ValueError("give exactly one of channelId and conversationId")
        return self


class Presence(WireModel):
    user_id: UUID
    status: PresenceStatus
    status_text: str | None
    last_active_at: Timestamp


class PresenceOut(WireModel):
    presence: Presence


class PresenceGetIn(InputModel):
    user_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]


class PresenceList(WireModel):
    presence: list[Presence]


class PresenceSetIn(InputModel):
    status: Literal["ONLINE", "AWAY", "BUSY"]
    status_text: Annotated[str, StringConstraints(max_length=100)] | None = None


class SyncIn(InputModel):
    channels: Annotated[dict[UUID, Seq], Field(max_length=1000)] = {}
    conversations: Annotated[dict[UUID, Seq], Field(max_length=1000)] = {}


class StreamChanges(WireModel):
    messages: list[Message]
    last_change_seq: int
    has_more: bool


class StreamError(WireModel):
    error: dict


class SyncOut(WireModel):
    channels: dict[UUID, StreamChanges | StreamError]
    conversations: dict[UUID, StreamChanges | StreamError]


class ReadyUser(WireModel):
    id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None


class Ready(WireModel):
    user: ReadyUser
    channels: list[ChannelState]
    conversations: list[Conversation]
    presence: list[Presence] = Field(description=(
        "The presence of people who share a workspace with the user: the user, the other person of each direct "
        "conversation, then channel-mates (present, then most recently active, first), at most READY_PRESENCE_LIMIT "
        "people; [] with `auth.presence: \"none\"`."))
    presence_complete: bool = Field(description=(
        "True when `presence` holds everyone who shares a workspace with the user; false when some were left "
        "out (or with `auth.presence: \"none\"`): ask `presence:get` for the people you show."))
