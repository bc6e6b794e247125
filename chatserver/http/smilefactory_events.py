"""SmileFactory events: the organiser's side and RSVPs with a waitlist."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import smilefactory_events as events
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.smilefactory_events import (
    AttendeeIn,
    AttendeeOut,
    AttendeePage,
    AttendeeQuery,
    EventIn,
    EventOut,
    EventPage,
    EventQuery,
    EventUpdateIn,
    RsvpIn,
)

api = Api()
TAGS = ("events",)
MANAGE_ERRORS = ("not_found", "forbidden", "conflict")


@api.post("/events", summary="Create an event (a draft unless status is published)", tags=TAGS, body=EventIn,
          response=EventOut, status=201)
async def create_event(ctx: Context, body: EventIn) -> EventOut:
    return await events.create(ctx.svc, ctx.user, body)


@api.get("/events", summary="Events you may see, soonest first", tags=TAGS, query=EventQuery, response=EventPage)
async def list_events(ctx: Context, query: EventQuery) -> EventPage:
    return await events.list_events(ctx.svc, ctx.user, query)


@api.get("/events/{id}", summary="An event", tags=TAGS, response=EventOut, errors=("not_found",))
async def get_event(ctx: Context, id: UUID) -> EventOut:
    return await events.get(ctx.svc, ctx.user, id)


@api.patch("/events/{id}", summary="Change, publish, complete or cancel an event (organisers; attendees are told "
           "live)", tags=TAGS, body=EventUpdateIn, response=EventOut, errors=MANAGE_ERRORS)
async def update_event(ctx: Context, id: UUID, body: EventUpdateIn) -> EventOut:
    return await events.update(ctx.svc, ctx.user, id, body)


@api.delete("/events/{id}", summary="Delete a draft event (organisers)", tags=TAGS, status=204,
            errors=MANAGE_ERRORS)
async def delete_event(ctx: Context, id: UUID) -> Reply:
    await events.delete(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.put("/events/{id}/rsvp", summary="RSVP: confirmed (a place, or the waitlist when full), maybe or declined",
         tags=TAGS, body=RsvpIn, response=AttendeeOut, errors=("not_found", "conflict"))
async def rsvp_to_event(ctx: Context, id: UUID, body: RsvpIn) -> AttendeeOut:
    return await events.rsvp(ctx.svc, ctx.user, id, body)


@api.get("/events/{id}/rsvp", summary="Your RSVP to an event", tags=TAGS, response=AttendeeOut,
         errors=("not_found",))
async def get_my_rsvp(ctx: Context, id: UUID) -> AttendeeOut:
    return await events.my_rsvp(ctx.svc, ctx.user, id)


@api.delete("/events/{id}/rsvp", summary="Take your RSVP back (your place goes to the waitlist's first)",
            tags=TAGS, status=204, errors=("not_found",))
async def withdraw_rsvp(ctx: Context, id: UUID) -> Reply:
    await events.withdraw(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.get("/events/{id}/attendees", summary="An event's RSVPs in queue order", tags=TAGS, query=AttendeeQuery,
         response=AttendeePage, errors=("not_found",))
async def list_event_attendees(ctx: Context, id: UUID, query: AttendeeQuery) -> AttendeePage:
    return await events.list_attendees(ctx.svc, ctx.user, id, query)


@api.put("/events/{id}/attendees/{userId}", summary="Invite someone with a role, or change their role "
         "(organisers)", tags=TAGS, body=AttendeeIn, response=AttendeeOut, errors=MANAGE_ERRORS)
async def set_event_attendee(ctx: Context, id: UUID, userId: UUID, body: AttendeeIn) -> AttendeeOut:  # noqa: N803
    return await events.set_attendee(ctx.svc, ctx.user, id, userId, body)


@api.delete("/events/{id}/attendees/{userId}", summary="Remove someone's RSVP (organisers)", tags=TAGS,
            status=204, errors=MANAGE_ERRORS)
async def remove_event_attendee(ctx: Context, id: UUID, userId: UUID) -> Reply:  # noqa: N803
    await events.remove_attendee(ctx.svc, ctx.user, id, userId)
    return Reply(None, status=204)


@api.post("/events/{id}/attendees/{userId}/check-in", summary="Check a confirmed attendee in (organisers)",
          tags=TAGS, response=AttendeeOut, errors=MANAGE_ERRORS)
async def check_in_event_attendee(ctx: Context, id: UUID, userId: UUID) -> AttendeeOut:  # noqa: N803
    return await events.check_in(ctx.svc, ctx.user, id, userId)
