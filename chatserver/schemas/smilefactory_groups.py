"""SmileFactory groups and their memberships on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import NOT_BLANK, LongText, Url, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery
from chatserver.schemas.roles import GroupRole

GroupVisibility = Literal["public", "private", "hidden"]
MembershipType = Literal["open", "approval_required", "invite_only"]
GroupStatus = Literal["active", "inactive", "archived"]
MembershipStatus = Literal["active", "pending", "banned", "left"]

GroupName = text(255, 1, pattern=NOT_BLANK)
Category = text(100, 1, pattern=NOT_BLANK)
Tag = text(50, 1)
Tags = Annotated[list[Tag], Field(max_length=20)]
MaxMembers = Annotated[int, Field(ge=1, le=1_000_000, description="The member cap: active members never exceed it.")]
InviteCode = text(64, 16, pattern="^[A-Za-z0-9_-]+$")

VISIBILITY_HELP = ("`public` and `private` groups are listed for everyone (a private group's members and chat "
                   "only for its members); `hidden` groups exist only for their members (`not_found` for others).")
MEMBERSHIP_HELP = ("`open`: joining makes you a member; `approval_required`: joining asks, a moderator approves; "
                   "`invite_only`: only with the group's invite code (a code also skips approval).")


class GroupIn(InputModel):
    name: GroupName
    description: LongText | None = None
    category: Category = "general"
    visibility: GroupVisibility = Field("public", description=VISIBILITY_HELP)
    membership_type: MembershipType = Field("open", description=MEMBERSHIP_HELP)
    max_members: MaxMembers = 1000
    rules: LongText | None = None
    cover_image_url: Url | None = None
    tags: Tags = Field(default_factory=list)
    location: text(255) | None = None


class GroupUpdateIn(InputModel):
    """Admins only; absent fields stay as they are."""

    name: GroupName = unchanged()
    description: LongText | None = None
    category: Category = unchanged()
    visibility: GroupVisibility = unchanged()
    membership_type: MembershipType = unchanged()
    max_members: MaxMembers = unchanged("Not below the current member count (`conflict`).")
    status: GroupStatus = unchanged("Only `active` groups take new members.")
    rules: LongText | None = None
    cover_image_url: Url | None = None
    tags: Tags = unchanged()
    location: text(255) | None = None


class GroupOut(WireModel):
    id: UUID
    name: str
    description: str | None
    category: str
    visibility: GroupVisibility
    membership_type: MembershipType
    max_members: int
    member_count: int = Field(description="Active members.")
    created_by: UUID
    status: GroupStatus
    rules: str | None
    cover_image_url: str | None
    tags: list[str]
    location: str | None
    channel_id: UUID = Field(description="The group's chat: a channel of the realtime core its active members "
                                         "are in (send, edit, react, sync as in any channel).")
    workspace_id: UUID = Field(description="The workspace that holds the group's channel.")
    my_role: GroupRole | None = Field(description="Your role while you are an active member.")
    my_status: MembershipStatus | None = Field(description="Your membership's state; null if you never joined.")
    invite_code: str | None = Field(description="Shown to the group's admins only.")
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> GroupOut:
        active = row["my_status"] == "active"
        return cls.from_row(row, my_role=row["my_role"] if active else None,
                            invite_code=row["invite_code"] if active and row["my_role"] == "admin" else None)


class GroupPage(Page[GroupOut]):
    pass


class GroupQuery(PageQuery):
    """Newest first."""

    category: Category | None = None
    visibility: GroupVisibility | None = None
    membership_type: MembershipType | None = None
    status: GroupStatus | None = None
    tag: Tag | None = None
    q: text(100, 1) | None = Field(None, description="Part of the name, any case.")
    mine: bool = Field(False, description="Only groups you are an active member of.")


class JoinIn(InputModel):
    invite_code: InviteCode | None = Field(None, description="Needed for `invite_only` groups; skips approval.")


class JoinByCodeIn(InputModel):
    invite_code: InviteCode


class MemberOut(WireModel):
    id: UUID
    group_id: UUID
    user_id: UUID
    username: str
    display_name: str | None
    role: GroupRole
    status: MembershipStatus
    joined_at: Timestamp = Field(description="When they became a member (or asked to, while pending).")
    left_at: Timestamp | None
    invited_by: UUID | None = Field(description="The moderator who approved the request, if one did.")
    updated_at: Timestamp


class MemberPage(Page[MemberOut]):
    pass


class MemberQuery(PageQuery):
    """In the order they joined. `pending` and `banned` are listed for moderators and admins only."""

    status: MembershipStatus = "active"
    role: GroupRole | None = None


class RoleIn(InputModel):
    role: GroupRole
