"""Workspaces, channels and their members on the wire."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import NOT_BLANK, ChannelTopic, Url, unchanged
from chatserver.schemas.pagination import Page, PageQuery
from chatserver.schemas.roles import WorkspaceRole

ChannelType = Literal["TEXT", "VOICE", "FORUM"]
WorkspaceName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=NOT_BLANK),
                          AfterValidator(str.strip)]
WorkspaceSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,79}$")]
Description = Annotated[str, StringConstraints(max_length=1000)]
# A page of a list ordered by name (workspaces, channels, members).
ListQuery = PageQuery.sorted_by(str, max_limit=200)


class Workspace(WireModel):
    id: UUID
    name: str
    slug: str
    description: str | None
    icon_url: str | None
    owner_id: UUID
    is_public: bool
    role: WorkspaceRole = Field(description="The caller's role in the workspace.")
    invite_code: str | None = Field(None, description="Shown to OWNER and ADMIN only.")
    created_at: Timestamp
    updated_at: Timestamp


class WorkspaceOut(WireModel):
    workspace: Workspace


class WorkspaceList(Page[Workspace]):
    pass


class WorkspaceCreateIn(InputModel):
    name: WorkspaceName
    slug: WorkspaceSlug | None = Field(None, description="Made from the name when left out.")
    description: Description | None = None
    is_public: bool = False


class WorkspaceUpdateIn(InputModel):
    name: WorkspaceName = unchanged()
    description: Description | None = None
    icon_url: Url | None = None
    is_public: bool = unchanged()


class JoinWorkspaceIn(InputModel):
    invite_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Member(WireModel):
    user_id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    role: WorkspaceRole
    nickname: str | None = None
    joined_at: Timestamp


class MemberList(Page[Member]):
    pass


class RoleIn(InputModel):
    role: WorkspaceRole


class Channel(WireModel):
    id: UUID
    workspace_id: UUID
    name: str
    description: str | None
    topic: str | None
    type: ChannelType
    is_private: bool
    is_archived: bool
    position: int
    created_by: UUID | None
    last_seq: int
    last_change_seq: int
    last_message_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    is_member: bool = False


class ChannelOut(WireModel):
    channel: Channel


class ChannelList(Page[Channel]):
    pass


class ChannelCreateIn(InputModel):
    name: ChannelName
    type: ChannelType = "TEXT"
    is_private: bool = False
    topic: ChannelTopic | None = None
    description: Description | None = None


class ChannelUpdateIn(InputModel):
    name: ChannelName = unchanged()
    topic: ChannelTopic | None = None
    description: Description | None = None
    position: Annotated[int, Field(ge=0, le=100000)] = unchanged()
    is_muted: bool = unchanged("The caller's own mute setting for the channel.")


class ChannelMember(WireModel):
    user_id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    role: WorkspaceRole
    is_muted: bool
    last_read_seq: int
    joined_at: Timestamp


class ChannelMemberList(Page[ChannelMember]):
    pass


class AddMemberIn(InputModel):
    user_id: UUID


class ChannelState(WireModel):
    """A channel as `ready` lists it: counters, read marker and unread counts."""

    id: UUID
    workspace_id: UUID
    name: str
    type: ChannelType
    is_archived: bool
    is_muted: bool
    last_seq: int
    last_change_seq: int
    last_read_seq: int
    unread_count: int
    mention_count: int
