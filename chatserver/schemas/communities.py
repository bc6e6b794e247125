"""Communities and their members on the wire."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import JsonObject, LongText, Name, Url, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery
from chatserver.schemas.roles import CommunityRole

CommunitySlug = text(100, 1, pattern=r"^[a-z0-9][a-z0-9-]*$")


class CommunityIn(InputModel):
    name: Name
    description: LongText | None = None
    slug: CommunitySlug | None = None
    avatar_url: Url | None = None
    banner_image: Url | None = None
    is_private: bool = Field(False, description="Private communities are hidden from non-members; "
                                                "joining one waits for a moderator's approval.")
    settings: JsonObject | None = None


class CommunityUpdateIn(InputModel):
    name: Name = unchanged()
    description: LongText | None = None
    slug: CommunitySlug | None = None
    avatar_url: Url | None = None
    banner_image: Url | None = None
    is_private: bool = unchanged()
    is_active: bool = unchanged()
    settings: JsonObject = unchanged()


class CommunityOut(WireModel):
    id: UUID
    name: str
    slug: str | None
    description: str | None
    avatar_url: str | None
    banner_image: str | None
    created_by: UUID | None
    is_private: bool
    is_active: bool
    settings: dict
    member_count: int
    my_role: CommunityRole | None = Field(description="The caller's role; null when not an active member.")
    my_status: Literal["pending", "active"] | None
    created_at: Timestamp
    updated_at: Timestamp


class CommunityPage(Page[CommunityOut]):
    pass


class CommunityQuery(PageQuery):
    mine: bool = Field(False, description="Only communities the caller is an active member of.")


class MemberOut(WireModel):
    id: UUID
    community_id: UUID
    user_id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    role: CommunityRole
    status: Literal["pending", "active"]
    nickname: str | None
    joined_at: Timestamp


class MemberPage(Page[MemberOut]):
    pass


class MemberQuery(PageQuery):
    status: Literal["pending", "active"] | None = None


class MemberUpdateIn(InputModel):
    role: CommunityRole = unchanged("Setting `owner` hands the community over; the old owner becomes an admin.")
    status: Literal["active"] = unchanged("`active` approves a pending join request.")
