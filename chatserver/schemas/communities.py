"""Communities and their members on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import JsonObject, LongText, Name, Url, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery
from chatserver.schemas.roles import CommunityRole

CommunitySlug = text(100, 1, pattern=r"^[a-z0-9][a-z0-9-]*$")
DiscordId = Annotated[text(20, 1, pattern=r"^[0-9]+$"), Field(examples=["123456789012345678"],
                                                               description="A Discord snowflake id, in digits.")]
CommunityStatus = Literal["active", "suspended", "archived"]
DiscordRoles = Annotated[list[text(100, 1)], Field(max_length=50)]
_GUILD = "The Discord guild the community is (CommunityOS); optional, and unique where given."
_PLATFORM_ADMINS = "Platform admins only."


class CommunityIn(InputModel):
    name: Name
    description: LongText | None = None
    slug: CommunitySlug | None = None
    avatar_url: Url | None = None
    banner_image: Url | None = None
    is_private: bool = Field(False, description="Private communities are hidden from non-members; "
                                                "joining one waits for a moderator's approval.")
    settings: JsonObject | None = None
    discord_guild_id: DiscordId | None = Field(None, description=_GUILD)


class CommunityUpdateIn(InputModel):
    name: Name = unchanged()
    description: LongText | None = None
    slug: CommunitySlug | None = None
    avatar_url: Url | None = None
    banner_image: Url | None = None
    is_private: bool = unchanged()
    is_active: bool = unchanged()
    settings: JsonObject = unchanged()
    discord_guild_id: DiscordId | None = Field(None, description=_GUILD)
    status: CommunityStatus = unchanged(_PLATFORM_ADMINS)
    subscription_tier: text(50, 1) = unchanged("The community's own plan on this platform. " + _PLATFORM_ADMINS)


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
    discord_guild_id: str | None
    status: CommunityStatus
    subscription_tier: str = Field(description="The community's own plan on this platform (`free` by default).")
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
    discord_user_id: str | None
    roles: list[str] = Field(description="The member's Discord roles.")
    is_active: bool
    subscription_status: Literal["none", "incomplete", "incomplete_expired", "trialing", "active", "past_due",
                                 "canceled", "unpaid", "paused"]
    subscription_tier_id: UUID | None
    subscription_expires_at: Timestamp | None = Field(
        description="Null unless you are this member or a community admin (or there is none).")
    total_spent: str | None = Field(description="Their paid invoices added up; null unless you are this member "
                                                "or a community admin.")

    @classmethod
    def render(cls, row: Any, *, sees_billing: bool) -> MemberOut:
        return cls.from_row(row, total_spent=f"{row['total_spent']:.2f}" if sees_billing else None,
                            subscription_expires_at=row["subscription_expires_at"] if sees_billing else None)


class MemberPage(Page[MemberOut]):
    pass


class MemberQuery(PageQuery):
    status: Literal["pending", "active"] | None = None


class MemberUpdateIn(InputModel):
    role: CommunityRole = unchanged("Setting `owner` hands the community over; the old owner becomes an admin.")
    status: Literal["active"] = unchanged("`active` approves a pending join request.")
    nickname: text(100) | None = None
    discord_user_id: DiscordId | None = Field(None, description="Unique in the community where given.")
    roles: DiscordRoles = unchanged("The member's Discord roles.")
    is_active: bool = unchanged()
