"""SmileFactory events: the organiser manages an event; people RSVP to it. A place past capacity
is a place on the waitlist, and a freed place goes to the earliest waitlisted.

Every change to an event's RSVPs runs in one transaction that first locks the event row, so
they happen one at a time per event: the confirmed count, the queue and the promotions cannot
race (the database also refuses more confirmed than `max_attendees`, events_within_capacity).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic.alias_generators import to_camel

from chatserver.actions import access
from chatserver.actions.connections import refuse_if_blocked
from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.schemas.events import EVENT_CANCELLED, EVENT_PROMOTED, EVENT_UPDATED
from chatserver.schemas.pagination import by_columns, fetch_page
from chatserver.schemas.smilefactory_events import (
    AttendeeIn,
    AttendeeOut,
    AttendeePage,
    AttendeeQuery,
    EventChangedEvent,
    EventIn,
    EventOut,
    EventPage,
    EventPromotedEvent,
    EventQuery,
    EventUpdateIn,
    RsvpIn,
)
from chatserver.store import smilefactory_events as store

# Where an event's status may go next; cancelled and completed are final.
NEXT_STATUS = {"draft": {"published", "cancelled"}, "published": {"cancelled", "completed"},
               "cancelled": set(), "completed": set()}


def _is_manager(event: asyncpg.Record, principal: Principal, mine: asyncpg.Record | None) -> bool:
    """The organiser, a confirmed co-organiser (an RSVP with role `organizer`), or a platform admin."""
    return (event["organizer_id"] == principal.user_id or principal.is_admin
            or (mine is not None and mine["role"] == "organizer" and mine["status"] == "confirmed"))


async def _visible_event(conn: asyncpg.Connection, principal: Principal, event_id: UUID, *,
                         lock: bool = False) -> asyncpg.Record:
    """The event if the caller may see it (`not_found` otherwise, whether or not it exists)."""
    row = await (store.lock_event if lock else store.event)(conn, event_id)
    if row is None or not await store.visible(conn, event_id, principal.user_id, principal.is_admin):
        raise not_found("event")
    return row


async def _managed_event(conn: asyncpg.Connection, principal: Principal, event_id: UUID) -> asyncpg.Record:
    """The event, locked, if the caller manages it."""
    row = await _visible_event(conn, principal, event_id, lock=True)
    if not _is_manager(row, principal, await store.attendee(conn, event_id, principal.user_id)):
        raise forbidden("only the event's organisers may do this")
    return row


def _open_for_rsvps(event: asyncpg.Record) -> None:
    if event["status"] != "published":
        raise conflict(f"the event is {event['status']}, not open for RSVPs", reason=f"event_{event['status']}")


async def _render_event(conn: asyncpg.Connection, event_id: UUID) -> EventOut:
    return EventOut.render(await store.event(conn, event_id))


async def _promote(svc: Services, conn: asyncpg.Connection, event: asyncpg.Record) -> None:
    """Fill the free places from the waitlist, earliest first, and tell each promoted person.
    Called with the event row locked, after the change that freed the places."""
    if event["status"] != "published":
        return
    limit = event["max_attendees"]
    places = None if limit is None else limit - await store.confirmed_count(conn, event["id"])
    if places is not None and places <= 0:
        return
    promoted = await store.promote(conn, event["id"], places)
    if not promoted:
        return
    rendered = await _render_event(conn, event["id"])
    for user_id in promoted:
        attendee = AttendeeOut.render(await store.attendee(conn, event["id"], user_id))
        svc.publish_after_commit(EVENT_PROMOTED.to((rooms.user(user_id),),
                                                   EventPromotedEvent(event=rendered, attendee=attendee)))


# The organiser's side.

def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Wire values as the columns take them."""
    if "price" in values:
        values["price"] = Decimal(values["price"])
    return values


async def create(svc: Services, principal: Principal, body: EventIn) -> EventOut:
    async with svc.db.transaction("create_event") as conn:
        event_id = await store.insert_event(conn, principal.user_id, _stored(body.model_dump()))
        return await _render_event(conn, event_id)


async def list_events(svc: Services, principal: Principal, query: EventQuery) -> EventPage:
    equal = {name: value for name in ("event_type", "status", "organizer_id")
             if (value := getattr(query, name)) is not None}
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page(
            conn, principal.user_id, principal.is_admin, equal=equal, tag=query.tag, upcoming=query.upcoming,
            after=after, limit=limit), by_columns("starts_at", "id"))
    return EventPage.of(window, EventOut.render)


async def get(svc: Services, principal: Principal, event_id: UUID) -> EventOut:
    async with svc.db.connection() as conn:
        return EventOut.render(await _visible_event(conn, principal, event_id))


def _check_merged(event: dict[str, Any], changes: dict[str, Any]) -> None:
    """The rules that span fields, on the event as it would be after the changes."""
    if event["ends_at"] <= event["starts_at"]:
        raise invalid({"endsAt": "must be after startsAt"})
    if event["registration_deadline"] is not None and event["registration_deadline"] > event["ends_at"]:
        raise invalid({"registrationDeadline": "must not be after endsAt"})
    if event["is_online"] and event["virtual_meeting_url"] is None:
        raise invalid({"virtualMeetingUrl": "an online event needs one"})
    if not event["is_online"] and event["location"] is None:
        raise invalid({"location": "an in-person event needs one"})
    if "status" in changes and changes["status"] not in NEXT_STATUS[event["status_before"]] | {
            event["status_before"]}:
        raise conflict(f"a {event['status_before']} event cannot become {changes['status']}",
                       reason="status_transition")


async def update(svc: Services, principal: Principal, event_id: UUID, body: EventUpdateIn) -> EventOut:
    async with svc.db.transaction("update_event") as conn:
        before = await _managed_event(conn, principal, event_id)
        if before["status"] in ("cancelled", "completed"):
            raise conflict(f"a {before['status']} event no longer changes", reason=f"event_{before['status']}")
        changes = _stored(body.model_dump(exclude_unset=True))
        _check_merged({**before, **changes, "status_before": before["status"]}, changes)
        limit = changes.get("max_attendees", before["max_attendees"])
        if limit is not None and limit < before["current_attendees"]:
            raise conflict(f"{before['current_attendees']} people are confirmed; the capacity cannot go below that",
                           reason="below_confirmed", confirmed=before["current_attendees"])
        changed = [name for name, value in changes.items() if value != before[name]]
        if not changed:
            return await _render_event(conn, event_id)
        await store.update_event(conn, event_id, {name: changes[name] for name in changed})
        after = await store.lock_event(conn, event_id)
        await _promote(svc, conn, after)  # a raised capacity, or a capacity removed
        rendered = await _render_event(conn, event_id)
        if after["status"] != "draft":
            kind = EVENT_CANCELLED if after["status"] == "cancelled" else EVENT_UPDATED
            payload = EventChangedEvent(event=rendered, changed=[to_camel(name) for name in changed])
            audience = tuple(rooms.user(user_id) for user_id in await store.audience(conn, event_id))
            svc.publish_after_commit(kind.to(audience, payload))
        return rendered


async def delete(svc: Services, principal: Principal, event_id: UUID) -> None:
    """Drafts only: an event people may have RSVPed to is cancelled instead, which tells them."""
    async with svc.db.transaction("delete_event") as conn:
        event = await _managed_event(conn, principal, event_id)
        if event["status"] != "draft" and not principal.is_admin:
            raise conflict("only a draft is deleted; cancel a published event instead", reason="not_a_draft")
        await store.delete_event(conn, event_id)


# RSVPs.

def _closes_at(event: asyncpg.Record) -> datetime:
    return event["registration_deadline"] or event["ends_at"]


async def _render_attendee(conn: asyncpg.Connection, event_id: UUID, user_id: UUID, *,
                           private: bool = True) -> AttendeeOut:
    return AttendeeOut.render(await store.attendee(conn, event_id, user_id), private=private)


async def rsvp(svc: Services, principal: Principal, event_id: UUID, body: RsvpIn) -> AttendeeOut:
    """Asking for a place (`confirmed`) takes one if the event has room and is otherwise a place at
    the end of the waitlist; asking again keeps the place held. Leaving a confirmed place promotes
    the earliest waitlisted."""
    async with svc.db.transaction("event_rsvp") as conn:
        event = await _visible_event(conn, principal, event_id, lock=True)
        _open_for_rsvps(event)
        mine = await store.attendee(conn, event_id, principal.user_id)
        if mine is not None and mine["checked_in_at"] is not None:
            raise conflict("you are checked in; the RSVP no longer changes", reason="checked_in")
        was = mine["status"] if mine is not None else None
        if body.status != "declined" and datetime.now(UTC) > _closes_at(event):
            raise conflict(f"registration closed at {_closes_at(event).isoformat()}", reason="registration_closed")
        await _promote(svc, conn, event)  # places freed outside these actions (a deleted account's RSVP)
        status, arrival = body.status, None
        if body.status == "confirmed" and was in ("confirmed", "waitlist"):
            status = was
        elif body.status == "confirmed":
            arrival = await store.next_arrival(conn, event_id)
            limit = event["max_attendees"]
            if limit is not None and await store.confirmed_count(conn, event_id) >= limit:
                status = "waitlist"
        details = body.model_dump(include={"dietary_restrictions", "special_requests"}, exclude_unset=True)
        await store.save_rsvp(conn, event_id, principal.user_id, status=status, arrival=arrival, details=details)
        if was == "confirmed" and status != "confirmed":
            await _promote(svc, conn, event)
        return await _render_attendee(conn, event_id, principal.user_id)


async def my_rsvp(svc: Services, principal: Principal, event_id: UUID) -> AttendeeOut:
    async with svc.db.connection() as conn:
        await _visible_event(conn, principal, event_id)
        if await store.attendee(conn, event_id, principal.user_id) is None:
            raise not_found("RSVP")
        return await _render_attendee(conn, event_id, principal.user_id)


async def _remove(svc: Services, conn: asyncpg.Connection, event: asyncpg.Record, user_id: UUID) -> None:
    if await store.remove(conn, event["id"], user_id) is None:
        raise not_found("RSVP")
    await _promote(svc, conn, event)


async def withdraw(svc: Services, principal: Principal, event_id: UUID) -> None:
    """Take your RSVP back altogether; a confirmed place goes to the earliest waitlisted."""
    async with svc.db.transaction("event_withdraw") as conn:
        event = await _visible_event(conn, principal, event_id, lock=True)
        await _remove(svc, conn, event, principal.user_id)


async def list_attendees(svc: Services, principal: Principal, event_id: UUID, query: AttendeeQuery) -> AttendeePage:
    """Everyone who may see the event sees who comes; the private fields only the organisers and
    the person themselves."""
    async with svc.db.connection() as conn:
        event = await _visible_event(conn, principal, event_id)
        manager = _is_manager(event, principal, await store.attendee(conn, event_id, principal.user_id))
        window = await fetch_page(query, lambda after, limit: store.attendee_page(
            conn, event_id, status=query.status, role=query.role, after=after, limit=limit),
            by_columns("arrival", "id"))
    return AttendeePage.of(window, lambda row: AttendeeOut.render(
        row, private=manager or row["user_id"] == principal.user_id))


async def set_attendee(svc: Services, principal: Principal, event_id: UUID, user_id: UUID,
                       body: AttendeeIn) -> AttendeeOut:
    """The organisers invite someone (a `pending` RSVP with a role: the way into a private event)
    or change the role of someone's RSVP."""
    async with svc.db.transaction("event_set_attendee") as conn:
        event = await _managed_event(conn, principal, event_id)
        if event["status"] in ("cancelled", "completed"):
            raise conflict(f"the event is {event['status']}", reason=f"event_{event['status']}")
        await access.active_user(conn, user_id)
        await refuse_if_blocked(conn, event["organizer_id"], user_id, "invitations")  # an RSVP would show the event
        await store.invite(conn, event_id, user_id, body.role, principal.user_id)
        return await _render_attendee(conn, event_id, user_id)


async def remove_attendee(svc: Services, principal: Principal, event_id: UUID, user_id: UUID) -> None:
    async with svc.db.transaction("event_remove_attendee") as conn:
        event = await _managed_event(conn, principal, event_id)
        await _remove(svc, conn, event, user_id)


async def check_in(svc: Services, principal: Principal, event_id: UUID, user_id: UUID) -> AttendeeOut:
    """Recorded once (checking in again keeps the first time), for confirmed attendees only."""
    async with svc.db.transaction("event_check_in") as conn:
        event = await _managed_event(conn, principal, event_id)
        _open_for_rsvps(event)
        attendee = await store.attendee(conn, event_id, user_id)
        if attendee is None:
            raise not_found("RSVP")
        if attendee["status"] != "confirmed":
            raise conflict(f"only confirmed attendees check in; this one is {attendee['status']}",
                           reason="not_confirmed")
        await store.check_in(conn, event_id, user_id)
        return await _render_attendee(conn, event_id, user_id)
