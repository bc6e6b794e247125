"""A community's analytics events on the wire, and their counts by day and type."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, Field, model_validator

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import DiscordId, JsonObject, Time, text

MAX_COUNT_DAYS = 366  # the longest range one count answers


def _ip(value: str) -> str:
    ipaddress.ip_address(value)  # ValueError names the problem
    return value


IpAddress = Annotated[str, Field(max_length=45, examples=["203.0.113.7"], description="An IPv4 or IPv6 address."),
                      AfterValidator(_ip)]
EventType = text(50, 1)


class AnalyticsEventIn(InputModel):
    event_type: EventType = Field(description="A kind of event, such as `page_view` or `subscription`.")
    event_name: text(100, 1)
    user_id: UUID | None = Field(None, description="A user of this server the event is about.")
    discord_user_id: DiscordId | None = None
    properties: JsonObject = Field(default_factory=dict)
    occurred_at: Time | None = Field(None, description="When it happened (at most an hour ahead); now when absent.")
    session_id: text(100) | None = None
    ip_address: IpAddress | None = None
    user_agent: text(1000) | None = None


class AnalyticsEventOut(WireModel):
    id: UUID
    community_id: UUID
    event_type: str
    event_name: str
    user_id: UUID | None
    discord_user_id: str | None
    properties: dict[str, Any]
    occurred_at: Timestamp
    session_id: str | None
    ip_address: str | None
    user_agent: str | None
    created_at: Timestamp


class AnalyticsCountQuery(InputModel):
    """Whole UTC days, `from` to `to` inclusive, at most 366 of them."""

    start: date = Field(alias="from", description="The first UTC day counted.")
    end: date = Field(alias="to", description="The last UTC day counted (inclusive).")
    event_type: EventType | None = Field(None, description="Count only this type.")

    @model_validator(mode="after")
    def _range(self) -> AnalyticsCountQuery:
        if self.end < self.start:
            raise ValueError("`to` must not be before `from`")
        if (self.end - self.start).days + 1 > MAX_COUNT_DAYS:
            raise ValueError(f"a range covers at most {MAX_COUNT_DAYS} days")
        return self


class AnalyticsDayCount(WireModel):
    day: date
    event_type: str
    count: int


class AnalyticsCounts(WireModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    total: int
    counts: list[AnalyticsDayCount] = Field(description="One entry per day and type that had events, oldest first.")
