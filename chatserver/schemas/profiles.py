"""SmileFactory typed profiles on the wire."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import NOT_BLANK, integer, money, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery

ProfileTypeName = Literal["innovator", "business_investor", "mentor"]
ProfileState = Literal["draft", "active"]
ProfileVisibility = Literal["public", "connections", "private"]

Money = money(15)  # numeric(15, 2)
Prose = text(10000)


def _items(max_items: int, max_length: int = 100) -> Any:
    return Annotated[list[text(max_length, 1, NOT_BLANK)], Field(max_length=max_items)]


def _said(example: Any, default: Any = None) -> Any:
    """A field's default, with an example for the document."""
    if isinstance(default, list):
        return Field(default_factory=list, examples=[example])
    return Field(default, examples=[example])


class InnovatorDetails(WireModel):
    industry_focus: text(100) | None = _said("Clean energy")
    innovation_stage: text(50) | None = _said("prototype")
    startup_name: text(200) | None = _said("Solar Loop")
    startup_description: Prose | None = _said("Pay-as-you-go solar kiosks for rural towns")
    funding_amount_needed: Money | None = _said("150000.00")
    team_size: integer(1, 1_000_000) | None = _said(4)
    business_model: Prose | None = _said("Pay as you go")
    target_market: Prose | None = _said("Rural towns in Zimbabwe")
    competitive_advantage: Prose | None = _said("Panels at half the price")


class BusinessInvestorDetails(WireModel):
    investment_focus: _items(50) = _said(["fintech", "clean energy"], [])
    investment_stage_preference: _items(50) = _said(["seed"], [])
    ticket_size_min: Money | None = _said("10000.00")
    ticket_size_max: Money | None = Field(None, description="At least ticketSizeMin.", examples=["250000.00"])
    geographic_focus: _items(50) = _said(["Southern Africa"], [])
    portfolio_companies: _items(200, 200) = _said(["Solar Loop"], [])
    investment_criteria: Prose | None = _said("A paying customer and a team of two or more")
    due_diligence_process: Prose | None = _said("Two calls and a site visit")


class MentorDetails(WireModel):
    expertise_areas: _items(50) = _said(["fundraising", "pitching"], [])
    mentoring_experience_years: integer(0, 100) | None = _said(8)
    mentoring_approach: Prose | None = _said("Monthly sessions on the next milestone")
    availability_hours_per_month: integer(0, 744) | None = _said(6)
    preferred_communication_methods: _items(20) = _said(["video call"], [])
    success_stories: Prose | None = _said("Two mentees closed seed rounds")
    mentoring_philosophy: Prose | None = _said("Ask, then listen")


class InnovatorIn(InputModel, InnovatorDetails):
    """Every field of the type; one left out is cleared."""


class BusinessInvestorIn(InputModel, BusinessInvestorDetails):
    """Every field of the type; one left out is cleared."""

    @model_validator(mode="after")
    def _range(self) -> BusinessInvestorIn:
        if (self.ticket_size_min is not None and self.ticket_size_max is not None
                and Decimal(self.ticket_size_min) > Decimal(self.ticket_size_max)):
            raise ValueError("ticketSizeMin must not be above ticketSizeMax")
        return self


class MentorIn(InputModel, MentorDetails):
    """Every field of the type; one left out is cleared."""


# Each type's details: what its owner sends, and what is shown.
DETAILS: dict[str, tuple[type[InputModel], type[WireModel]]] = {
    "innovator": (InnovatorIn, InnovatorDetails),
    "business_investor": (BusinessInvestorIn, BusinessInvestorDetails),
    "mentor": (MentorIn, MentorDetails),
}


def _wire_value(value: Any) -> Any:
    return f"{value:.2f}" if isinstance(value, Decimal) else value


class ProfileOut(WireModel):
    user_id: UUID
    username: str
    display_name: str | None
    avatar_url: str | None
    first_name: str | None
    last_name: str | None
    bio: str | None
    profile_name: str | None = Field(examples=["Solar founder"])
    profile_type: ProfileTypeName | None = Field(description="Null until the owner chooses one.")
    profile_state: ProfileState = Field(description="Only `active` profiles are shown to others.")
    profile_visibility: ProfileVisibility = Field(
        description="Who else sees the active profile: everyone, your accepted connections, or nobody.")
    profile_completion: int = Field(ge=0, le=100, examples=[33], description="Whole percent of the type's fields filled in "
                                                              "(rounded down).")
    missing_fields: list[str] | None = Field(examples=[["teamSize"]], description="The type's fields still empty (wire names); to the "
                                                         "owner only, null to others.")
    details: InnovatorDetails | BusinessInvestorDetails | MentorDetails | None = Field(
        description="The fields of the profile's type; null until a type is chosen.")
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any, details: dict[str, Any] | None, *, viewer_id: UUID) -> ProfileOut:
        shown = None
        if details is not None:
            shown = DETAILS[row["profile_type"]][1].model_validate(
                {column: _wire_value(value) for column, value in details.items()})
        missing = [to_camel(column) for column in row["missing_fields"]] if row["user_id"] == viewer_id else None
        return cls.from_row(row, details=shown, missing_fields=missing)


class ProfilePage(Page[ProfileOut]):
    pass


class ProfileUpdateIn(InputModel):
    """Absent fields stay as they are."""

    profile_name: text(200) | None = _said("Solar founder")
    profile_visibility: ProfileVisibility = unchanged()
    profile_state: ProfileState = unchanged("`active` shows the profile to others (it needs a type first); "
                                            "`draft` takes it back.")


class ProfileQuery(PageQuery):
    """Newest account first."""

    type: ProfileTypeName | None = None
    q: text(100, 1, NOT_BLANK) | None = Field(None, description="Text looked for, in any case, in the names, the "
                                                                 "bio and the fields of the type.")
