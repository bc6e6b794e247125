"""SmileFactory events and their attendees (029). The confirmed count is kept by a trigger;
the queue order is `event_attendees.arrival`, handed out from `events.arrivals` while the
caller holds the event row locked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store import embeddings
from chatserver.store.connections import blocked, connected
from chatserver.store.params import Params, where

EVENT_FIELDS = frozenset({
    "title", "description", "event_type", "starts_at", "ends_at", "timezone", "is_online", "location",
    "online_platform", "virtual_meeting_url", "registration_required", "registration_deadline", "max_attendees",
    "status", "visibility", "cover_image_url", "tags", "price", "currency",
})
# The people an event's changes are told to: everyone who has not declined.
ATTENDING = ("confirmed", "maybe", "pending", "waitlist")

_EVENT = """SELECT e.*, (SELECT count(*) FROM event_attendees w WHERE w.event_id = e.id AND w.status = 'waitlist')
                       AS waitlist_count
              FROM events e"""

# Who may see an event ($1 the viewer, $2 whether they are a platform admin): the organiser and
# anyone with an RSVP row always; others a published (or past) event that is public, or
# members_only when they are connected to the organiser. Private events are for invited people.
# A block between the viewer and the organiser hides the organiser's events, as it hides their posts;
# an RSVP made before the block still shows its event (to cancel it; the organiser may remove it).
_VISIBLE = f"""($2 OR e.organizer_id = $1
               OR EXISTS (SELECT 1 FROM event_attendees mine WHERE mine.event_id = e.id AND mine.user_id = $1)
               OR (e.status <> 'draft' AND NOT {blocked('e.organizer_id', '$1')}
                   AND (e.visibility = 'public'
                        OR (e.visibility = 'members_only' AND {connected('e.organizer_id', '$1')}))))"""

_ATTENDEE = """SELECT a.id, a.event_id, a.user_id, a.status, a.role, a.arrival, a.dietary_restrictions,
                      a.special_requests, a.registered_at, a.updated_at, a.checked_in_at,
                      u.username, u.display_name,
                      CASE WHEN a.status = 'waitlist' THEN
                          (SELECT count(*) FROM event_attendees w
                            WHERE w.event_id = a.event_id AND w.status = 'waitlist' AND w.arrival <= a.arrival)
                      END AS waitlist_position
                 FROM event_attendees a JOIN users u ON u.id = a.user_id"""


async def insert_event(conn: asyncpg.Connection, organizer_id: UUID, values: Mapping[str, Any]) -> UUID:
    columns = [name for name in values if name in EVENT_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    return await conn.fetchval(
        f"INSERT INTO events (organizer_id, {', '.join(columns)}) VALUES ($1, {placeholders}) RETURNING id",
        organizer_id, *(values[name] for name in columns))


async def event(conn: asyncpg.Connection, event_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_EVENT} WHERE e.id = $1", event_id)


async def lock_event(conn: asyncpg.Connection, event_id: UUID) -> asyncpg.Record | None:
    """The event row, locked until the transaction ends: every change to its RSVPs takes this lock
    first, so they happen one at a time per event."""
    return await conn.fetchrow("SELECT * FROM events WHERE id = $1 FOR UPDATE", event_id)


async def visible(conn: asyncpg.Connection, event_id: UUID, viewer_id: UUID, is_admin: bool) -> bool:
    return await conn.fetchval(f"SELECT {_VISIBLE} FROM events e WHERE e.id = $3", viewer_id, is_admin,
                               event_id) or False


async def page(conn: asyncpg.Connection, viewer_id: UUID, is_admin: bool, *, equal: Mapping[str, Any],
               tag: str | None, upcoming: bool, after: tuple[datetime, UUID] | None,
               limit: int) -> list[asyncpg.Record]:
    """Soonest first; `equal` names columns of EVENT_FIELDS or organizer_id only."""
    assert all(column in EVENT_FIELDS or column == "organizer_id" for column in equal), equal
    p = Params(viewer_id, is_admin)
    conditions = where(_VISIBLE, *(f"e.{column} = {p(value)}" for column, value in equal.items()),
                       p.when(tag, "e.tags @> ARRAY[{}]::text[]"), "e.ends_at > now()" if upcoming else None,
                       p.after("e.starts_at", "e.id", after, ascending=True))
    return await conn.fetch(f"{_EVENT} WHERE {conditions} ORDER BY e.starts_at, e.id LIMIT {p(limit)}", *p.values)


async def recommended(conn: asyncpg.Connection, viewer_id: UUID, vector: str, model: str, *,
                      limit: int) -> list[asyncpg.Record]:
    """Published events still open for registration that the viewer may see (as anyone, not as an admin),
    neither organises nor has an RSVP to, nearest to `vector` first; each with its cosine `distance`."""
    p = Params(viewer_id, False)
    join, distance = embeddings.nearest(p, "event", "e.id", vector, model)
    conditions = where(_VISIBLE, "e.status = 'published'", "e.ends_at > now()",
                       "(e.registration_deadline IS NULL OR e.registration_deadline > now())",
                       "e.organizer_id <> $1",
                       "NOT EXISTS (SELECT 1 FROM event_attendees own WHERE own.event_id = e.id AND own.user_id = $1)")
    return await conn.fetch(f"{_EVENT.replace('SELECT ', f'SELECT {distance} AS distance, ', 1)} {join}"
                            f" WHERE {conditions} ORDER BY {distance} LIMIT {p(limit)}", *p.values)


async def update_event(conn: asyncpg.Connection, event_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(event_id)
    if assignments := p.assignments(changes, EVENT_FIELDS):
        await conn.execute(f"UPDATE events SET {assignments}, updated_at = now() WHERE id = $1", *p.values)


async def delete_event(conn: asyncpg.Connection, event_id: UUID) -> None:
    await conn.execute("DELETE FROM events WHERE id = $1", event_id)


async def next_arrival(conn: asyncpg.Connection, event_id: UUID) -> int:
    """The next place in the event's queue (the caller holds the event row locked)."""
    return await conn.fetchval("UPDATE events SET arrivals = arrivals + 1 WHERE id = $1 RETURNING arrivals",
                               event_id)


async def confirmed_count(conn: asyncpg.Connection, event_id: UUID) -> int:
    return await conn.fetchval("SELECT current_attendees FROM events WHERE id = $1", event_id)


async def attendee(conn: asyncpg.Connection, event_id: UUID, user_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_ATTENDEE} WHERE a.event_id = $1 AND a.user_id = $2", event_id, user_id)


async def attendee_page(conn: asyncpg.Connection, event_id: UUID, *, status: str | None, role: str | None,
                        after: tuple[int, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """In queue order (arrival, then id for the rows that never queued)."""
    p = Params(event_id)
    conditions = where("a.event_id = $1", p.when(status, "a.status = {}"), p.when(role, "a.role = {}"),
                       p.after("a.arrival", "a.id", after, ascending=True))
    return await conn.fetch(f"{_ATTENDEE} WHERE {conditions} ORDER BY a.arrival, a.id LIMIT {p(limit)}", *p.values)


async def save_rsvp(conn: asyncpg.Connection, event_id: UUID, user_id: UUID, *, status: str, arrival: int | None,
                    details: Mapping[str, Any]) -> None:
    """Insert or change the person's RSVP; `arrival` None keeps their place in the queue."""
    await conn.execute(
        """INSERT INTO event_attendees (event_id, user_id, status, arrival, dietary_restrictions, special_requests)
           VALUES ($1, $2, $3, coalesce($4, 0), $5, $6)
           ON CONFLICT (event_id, user_id) DO UPDATE
              SET status = $3, arrival = coalesce($4, event_attendees.arrival),
                  dietary_restrictions = CASE WHEN $7 THEN $5 ELSE event_attendees.dietary_restrictions END,
                  special_requests = CASE WHEN $8 THEN $6 ELSE event_attendees.special_requests END,
                  updated_at = now()""",
        event_id, user_id, status, arrival, details.get("dietary_restrictions"), details.get("special_requests"),
        "dietary_restrictions" in details, "special_requests" in details)


async def invite(conn: asyncpg.Connection, event_id: UUID, user_id: UUID, role: str, invited_by: UUID) -> None:
    """Add the person as `pending` with this role, or change the role of their existing RSVP."""
    await conn.execute(
        """INSERT INTO event_attendees (event_id, user_id, role, invited_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (event_id, user_id) DO UPDATE SET role = $3, updated_at = now()""",
        event_id, user_id, role, invited_by)


async def remove(conn: asyncpg.Connection, event_id: UUID, user_id: UUID) -> str | None:
    """Delete the person's RSVP; the status it had, or None when there was none."""
    return await conn.fetchval("DELETE FROM event_attendees WHERE event_id = $1 AND user_id = $2 RETURNING status",
                               event_id, user_id)


async def promote(conn: asyncpg.Connection, event_id: UUID, places: int | None) -> list[UUID]:
    """Confirm the earliest waitlisted, up to `places` of them (all for None); who was promoted."""
    p = Params(event_id)
    limit = "" if places is None else f" LIMIT {p(places)}"
    return [row["user_id"] for row in await conn.fetch(
        f"""UPDATE event_attendees SET status = 'confirmed', updated_at = now()
             WHERE id IN (SELECT id FROM event_attendees WHERE event_id = $1 AND status = 'waitlist'
                           ORDER BY arrival{limit})
         RETURNING user_id""", *p.values)]


async def check_in(conn: asyncpg.Connection, event_id: UUID, user_id: UUID) -> None:
    await conn.execute("UPDATE event_attendees SET checked_in_at = coalesce(checked_in_at, now()), updated_at = now()"
                       " WHERE event_id = $1 AND user_id = $2", event_id, user_id)


async def audience(conn: asyncpg.Connection, event_id: UUID) -> list[UUID]:
    """Everyone to tell of a change to the event: the organiser and all who have not declined."""
    return [row["user_id"] for row in await conn.fetch(
        "SELECT organizer_id AS user_id FROM events WHERE id = $1"
        " UNION SELECT user_id FROM event_attendees WHERE event_id = $1 AND status = ANY($2::text[])",
        event_id, list(ATTENDING))]

