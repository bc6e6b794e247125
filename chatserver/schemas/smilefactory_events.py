"""SmileFactory events and RSVPs on the wire."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, Field, model_validator

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import (
    Currency,
    LongText,
    ShortText,
    Time,
    Url,
    money,
    text,
    unchanged,
)
from chatserver.schemas.pagination import Page, PageQuery

EventType = Literal["conference", "workshop", "networking", "webinar", "meetup", "pitch", "demo"]
EventStatus = Literal["draft", "published", "cancelled", "completed"]
EventVisibility = Literal["public", "private", "members_only"]
RsvpStatus = Literal["confirmed", "maybe", "declined", "pending", "waitlist"]
AttendeeRole = Literal["organizer", "speaker", "sponsor", "attendee"]

Title = text(300, 1)
Tag = text(50, 1)
Tags = Annotated[list[Tag], Field(max_length=20)]
Capacity = Annotated[int, Field(ge=1, le=1_000_000, description="Confirmed places; absent or null for no limit.")]
Money = money(10)  # events.price is numeric(10, 2)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("not an IANA time zone name (such as Africa/Harare or Europe/Berlin)")
    return value


TimeZone = Annotated[str, Field(min_length=1, max_length=64, pattern="^[A-Za-z][A-Za-z0-9_+/-]*$", examples=["Africa/Harare"],
                                description="An IANA time zone name: where the times are meant to be read."),
                     AfterValidator(_known_zone)]


def _check_times(starts_at: datetime | None, ends_at: datetime | None, deadline: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("endsAt must be after startsAt")
    if deadline is not None and ends_at is not None and deadline > ends_at:
        raise ValueError("registrationDeadline must not be after endsAt")


class EventIn(InputModel):
    title: Title
    description: LongText | None = None
    event_type: EventType
    starts_at: Time
    ends_at: Time = Field(description="After startsAt.")
    timezone: TimeZone = "Africa/Harare"
    is_online: bool = Field(False, description="Online events need virtualMeetingUrl, in-person ones location.")
    location: text(500) | None = None
    online_platform: text(100) | None = None
    virtual_meeting_url: Url | None = None
    registration_required: bool = True
    registration_deadline: Time | None = Field(None, description="No registrations after it; at most endsAt.")
    max_attendees: Capacity | None = None
    status: Literal["draft", "published"] = "draft"
    visibility: EventVisibility = "public"
    cover_image_url: Url | None = None
    tags: Tags = Field(default_factory=list)
    price: Money = "0"
    currency: Currency = "USD"

    @model_validator(mode="after")
    def _consistent(self) -> EventIn:
        _check_times(self.starts_at, self.ends_at, self.registration_deadline)
        if self.is_online and self.virtual_meeting_url is None:
            raise ValueError("an online event needs virtualMeetingUrl")
        if not self.is_online and self.location is None:
            raise ValueError("an in-person event needs a location")
        return self


class EventUpdateIn(InputModel):
    """Absent fields stay as they are. Status moves draft → published → completed, and from draft or
    published to cancelled; cancelled and completed events no longer change."""

    title: Title = unchanged()
    description: LongText | None = None
    event_type: EventType = unchanged()
    starts_at: Time = unchanged()
    ends_at: Time = unchanged()
    timezone: TimeZone = unchanged()
    is_online: bool = unchanged()
    location: text(500) | None = None
    online_platform: text(100) | None = None
    virtual_meeting_url: Url | None = None
    registration_required: bool = unchanged()
    registration_deadline: Time | None = None
    max_attendees: Capacity | None = Field(None, description="Raising it promotes from the waitlist; it cannot go "
                                                              "below the confirmed count (`conflict`).")
    status: EventStatus = unchanged()
    visibility: EventVisibility = unchanged()
    cover_image_url: Url | None = None
    tags: Tags = unchanged()
    price: Money = unchanged()
    currency: Currency = unchanged()

    @model_validator(mode="after")
    def _consistent(self) -> EventUpdateIn:
        _check_times(self.starts_at, self.ends_at, self.registration_deadline)
        return self


class EventOut(WireModel):
    id: UUID
    organizer_id: UUID
    title: str
    description: str | None
    event_type: EventType
    starts_at: Timestamp
    ends_at: Timestamp
    timezone: str
    is_online: bool
    location: str | None
    online_platform: str | None
    virtual_meeting_url: str | None
    registration_required: bool
    registration_deadline: Timestamp | None
    max_attendees: int | None
    current_attendees: int = Field(description="Confirmed attendees.")
    waitlist_count: int
    status: EventStatus
    visibility: EventVisibility
    cover_image_url: str | None
    tags: list[str]
    price: str
    currency: str
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> EventOut:
        return cls.from_row(row, price=f"{row['price']:.2f}")


class EventPage(Page[EventOut]):
    pass


class EventQuery(PageQuery):
    """Soonest first, by startsAt."""

    event_type: EventType | None = None
    status: EventStatus | None = None
    tag: Tag | None = None
    organizer_id: UUID | None = None
    upcoming: bool = Field(False, description="Only events that have not ended.")


class RsvpIn(InputModel):
    status: Literal["confirmed", "maybe", "declined"] = Field(
        description="`confirmed` takes a place, or a place on the waitlist when the event is full.")
    dietary_restrictions: text(2000) | None = None
    special_requests: text(2000) | None = None


class AttendeeIn(InputModel):
    role: AttendeeRole = "attendee"


class AttendeeOut(WireModel):
    id: UUID
    event_id: UUID
    user_id: UUID
    username: str
    display_name: str | None
    status: RsvpStatus
    role: AttendeeRole
    waitlist_position: int | None = Field(description="1 for the next to be promoted; null off the waitlist.")
    dietary_restrictions: str | None = Field(description="Shown to the person and the organisers only.")
    special_requests: str | None = Field(description="Shown to the person and the organisers only.")
    registered_at: Timestamp
    updated_at: Timestamp
    checked_in_at: Timestamp | None

    @classmethod
    def render(cls, row: Any, *, private: bool = True) -> AttendeeOut:
        hidden = {} if private else {"dietary_restrictions": None, "special_requests": None}
        return cls.from_row(row, **hidden)


class AttendeePage(Page[AttendeeOut]):
    pass


class AttendeeQuery(PageQuery.sorted_by(int, UUID)):
    """In queue order: the confirmed and the waitlist in the order they asked for a place."""

    status: RsvpStatus | None = None
    role: AttendeeRole | None = None


# Socket payloads (declared in schemas/events.py).

EventField = ShortText


class EventChangedEvent(WireModel):
    event: EventOut
    changed: list[EventField] = Field(description="The wire names of the fields that changed, such as `startsAt`.")


class EventPromotedEvent(WireModel):
    event: EventOut
    attendee: AttendeeOut = Field(description="Your RSVP, now `confirmed`.")

