"""SmileFactory events: the organiser's rules, RSVPs with a waitlist promoted in order exactly once
(also with many clients at once), registration deadlines, check-in, and live notifications."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.http.test_auth import assert_problem
from tests.support.chat import connect
from tests.support.roles import sql

V1 = "/api/v1"


def _at(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _event(server, organizer, **extra) -> dict:
    body = {"title": "Founders breakfast", "eventType": "networking", "startsAt": _at(days=2),
            "endsAt": _at(days=2, hours=2), "location": "Harare Innovation Hub", "status": "published", **extra}
    created = await server.request("POST", f"{V1}/events", token=organizer.access_token, json=body)
    assert created.status == 201, created.body
    return created.body


async def _rsvp(server, account, event, status="confirmed", **extra):
    return await server.request("PUT", f"{V1}/events/{event['id']}/rsvp", token=account.access_token,
                                json={"status": status, **extra})


async def _attendees(server, account, event, **query) -> list[dict]:
    params = "&".join(f"{name}={value}" for name, value in {"limit": 100, **query}.items())
    listed = await server.request("GET", f"{V1}/events/{event['id']}/attendees?{params}", token=account.access_token)
    assert listed.status == 200, listed.body
    return listed.body["items"]


async def test_an_event_holds_both_seed_versions_and_refuses_what_does_not_fit(server):
    organizer = await server.account()
    online = await _event(server, organizer, title="Pitch night", eventType="pitch", isOnline=True, location=None,
                          virtualMeetingUrl="https://meet.example.com/pitch", onlinePlatform="Meet",
                          timezone="Europe/Berlin", maxAttendees=50, price="25.5", currency="ZAR",
                          tags=["fintech", "seed"], visibility="public", registrationDeadline=_at(days=1))
    assert online["price"] == "25.50" and online["currency"] == "ZAR" and online["timezone"] == "Europe/Berlin"
    assert online["isOnline"] and online["virtualMeetingUrl"] == "https://meet.example.com/pitch"
    assert online["currentAttendees"] == 0 and online["waitlistCount"] == 0 and online["status"] == "published"
    sooner = await _event(server, organizer, startsAt=_at(hours=5), endsAt=_at(hours=6))

    refused = {
        "endsAt before startsAt": {"endsAt": _at(days=1)},
        "online without a URL": {"isOnline": True, "location": None},
        "in person without a place": {"location": None},
        "unknown zone": {"timezone": "Mars/Olympus"},
        "three decimals": {"price": "1.234"},
        "lower-case currency": {"currency": "usd"},
        "unknown type": {"eventType": "party"},
        "deadline after the end": {"registrationDeadline": _at(days=3)},
        "cancelled at birth": {"status": "cancelled"},
    }
    for why, extra in refused.items():
        body = {"title": "x", "eventType": "workshop", "startsAt": _at(days=2), "endsAt": _at(days=2, hours=1),
                "location": "Hub", **extra}
        response = await server.request("POST", f"{V1}/events", token=organizer.access_token, json=body)
        assert response.status == 422, (why, response.body)

    listed = await server.request("GET", f"{V1}/events?organizerId={organizer.id}", token=organizer.access_token)
    assert [e["id"] for e in listed.body["items"]] == [sooner["id"], online["id"]]  # soonest first
    tagged = await server.request("GET", f"{V1}/events?tag=fintech&eventType=pitch", token=organizer.access_token)
    assert [e["id"] for e in tagged.body["items"]] == [online["id"]]
    first = await server.request("GET", f"{V1}/events?organizerId={organizer.id}&limit=1",
                                 token=organizer.access_token)
    rest = await server.request("GET", f"{V1}/events?organizerId={organizer.id}&limit=1&cursor="
                                f"{first.body['nextCursor']}", token=organizer.access_token)
    assert [e["id"] for e in first.body["items"] + rest.body["items"]] == [sooner["id"], online["id"]]


async def test_the_organiser_manages_the_event_through_its_status_flow(server):
    organizer, other = await server.account(), await server.account()
    draft = await _event(server, organizer, status="draft")
    # A draft is the organiser's alone.
    assert_problem(await server.request("GET", f"{V1}/events/{draft['id']}", token=other.access_token), 404,
                   "not_found")
    assert_problem(await _rsvp(server, other, draft), 404, "not_found")
    assert_problem(await server.request("PATCH", f"{V1}/events/{draft['id']}", token=other.access_token,
                                        json={"title": "mine now"}), 404, "not_found")
    # Invited, they see the draft, but it takes no RSVPs before it is published.
    await server.request("PUT", f"{V1}/events/{draft['id']}/attendees/{other.id}", token=organizer.access_token,
                         json={})
    too_early = await _rsvp(server, other, draft)
    assert_problem(too_early, 409, "conflict")
    assert too_early.body["details"]["reason"] == "event_draft"
    published = await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                     json={"status": "published", "maxAttendees": 10})
    assert published.body["status"] == "published" and published.body["maxAttendees"] == 10
    assert_problem(await server.request("PATCH", f"{V1}/events/{draft['id']}", token=other.access_token,
                                        json={"title": "mine now"}), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"{V1}/events/{draft['id']}", token=organizer.access_token),
                   409, "conflict")
    back = await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                json={"status": "draft"})
    assert_problem(back, 409, "conflict")
    assert back.body["details"]["reason"] == "status_transition"
    # Fields checked together with what is stored.
    assert_problem(await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                        json={"endsAt": _at(days=1)}), 422, "invalid")
    assert_problem(await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                        json={"isOnline": True}), 422, "invalid")
    moved = await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                 json={"isOnline": True, "virtualMeetingUrl": "https://meet.example.com/x"})
    assert moved.status == 200 and moved.body["isOnline"]

    done = await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                json={"status": "completed"})
    assert done.body["status"] == "completed"
    assert_problem(await server.request("PATCH", f"{V1}/events/{draft['id']}", token=organizer.access_token,
                                        json={"title": "again"}), 409, "conflict")

    scrap = await _event(server, organizer, status="draft")
    assert (await server.request("DELETE", f"{V1}/events/{scrap['id']}", token=organizer.access_token)).status \
        == 204


async def test_who_sees_private_and_members_only_events(server):
    organizer, friend, stranger, guest = [await server.account() for _ in range(4)]
    asked = await server.request("POST", f"{V1}/connections", token=friend.access_token,
                                 json={"receiverId": organizer.id})
    await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=organizer.access_token)
    members = await _event(server, organizer, visibility="members_only")
    private = await _event(server, organizer, visibility="private")

    for account, sees_members, sees_private in ((friend, True, False), (stranger, False, False)):
        for event, sees in ((members, sees_members), (private, sees_private)):
            got = await server.request("GET", f"{V1}/events/{event['id']}", token=account.access_token)
            assert got.status == (200 if sees else 404), (event["visibility"], got.body)
    assert (await _rsvp(server, friend, members)).body["status"] == "confirmed"
    assert_problem(await _rsvp(server, stranger, private), 404, "not_found")
    # An invitation (with a role) is the way into a private event.
    assert_problem(await server.request("PUT", f"{V1}/events/{private['id']}/attendees/{guest.id}",
                                        token=friend.access_token, json={"role": "speaker"}), 404, "not_found")
    invited = await server.request("PUT", f"{V1}/events/{private['id']}/attendees/{guest.id}",
                                   token=organizer.access_token, json={"role": "speaker"})
    assert invited.body["status"] == "pending" and invited.body["role"] == "speaker"
    listed = await server.request("GET", f"{V1}/events", token=guest.access_token)
    assert private["id"] in [e["id"] for e in listed.body["items"]]
    assert members["id"] not in [e["id"] for e in listed.body["items"]]
    accepted = await _rsvp(server, guest, private, dietaryRestrictions="vegan")
    assert accepted.body["status"] == "confirmed" and accepted.body["role"] == "speaker"
    # Private details: the organiser and the person see them, other attendees do not.
    others_view = await _attendees(server, friend, members)
    assert others_view[0]["dietaryRestrictions"] is None
    organizers_view = await _attendees(server, organizer, private)
    assert organizers_view[0]["dietaryRestrictions"] == "vegan"


async def test_registration_is_refused_when_closed_and_check_in_is_for_the_confirmed(server):
    organizer, early, late, helper = [await server.account() for _ in range(4)]
    closed = await _event(server, organizer, registrationDeadline=_at(minutes=-1))
    refused = await _rsvp(server, late, closed)
    assert_problem(refused, 409, "conflict")
    assert refused.body["details"]["reason"] == "registration_closed"
    assert (await _rsvp(server, late, closed, "declined")).body["status"] == "declined"  # saying no is always fine

    event = await _event(server, organizer, maxAttendees=1)
    assert (await _rsvp(server, early, event)).body["status"] == "confirmed"
    assert (await _rsvp(server, late, event)).body["status"] == "waitlist"
    check_in = f"{V1}/events/{event['id']}/attendees/{{}}/check-in"
    assert_problem(await server.request("POST", check_in.format(late.id), token=organizer.access_token), 409,
                   "conflict")
    assert_problem(await server.request("POST", check_in.format(early.id), token=late.access_token), 403,
                   "forbidden")
    assert_problem(await server.request("POST", check_in.format(helper.id), token=organizer.access_token), 404,
                   "not_found")
    checked = await server.request("POST", check_in.format(early.id), token=organizer.access_token)
    assert checked.status == 200 and checked.body["checkedInAt"]
    again = await server.request("POST", check_in.format(early.id), token=organizer.access_token)
    assert again.body["checkedInAt"] == checked.body["checkedInAt"]
    assert_problem(await _rsvp(server, early, event, "declined"), 409, "conflict")
    # A confirmed co-organiser checks people in too.
    await server.request("PUT", f"{V1}/events/{event['id']}/attendees/{helper.id}", token=organizer.access_token,
                         json={"role": "organizer"})
    await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                         json={"maxAttendees": 3})
    assert (await _rsvp(server, helper, event)).body["status"] == "confirmed"
    assert (await server.request("POST", check_in.format(late.id), token=helper.access_token)).status == 200

    cancelled = await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                     json={"status": "cancelled"})
    assert cancelled.body["status"] == "cancelled"
    refused = await _rsvp(server, await server.account(), event)
    assert_problem(refused, 409, "conflict")
    assert refused.body["details"]["reason"] == "event_cancelled"
    assert_problem(await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                        json={"maxAttendees": 1}), 409, "conflict")


async def test_capacity_cannot_drop_below_the_confirmed_and_raising_it_promotes(server):
    organizer = await server.account()
    people = [await server.account() for _ in range(4)]
    event = await _event(server, organizer, maxAttendees=2)
    for person in people:
        await _rsvp(server, person, event)
    assert_problem(await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                        json={"maxAttendees": 1}), 409, "conflict")
    raised = await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                  json={"maxAttendees": 3})
    assert raised.body["currentAttendees"] == 3 and raised.body["waitlistCount"] == 1
    unlimited = await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                     json={"maxAttendees": None})
    assert unlimited.body["currentAttendees"] == 4 and unlimited.body["waitlistCount"] == 0
    # The database holds the line too.
    rows = await sql(server, "SELECT current_attendees FROM events WHERE id = $1", event["id"])
    assert rows[0]["current_attendees"] == 4


async def test_the_waitlist_fills_and_is_promoted_in_order_exactly_once_under_concurrency(server):
    organizer = await server.account()
    event = await _event(server, organizer, maxAttendees=5)
    people = [await server.account() for _ in range(30)]

    answers = await asyncio.gather(*(_rsvp(server, person, event) for person in people))
    assert all(a.status == 200 for a in answers), [a.body for a in answers if a.status != 200]
    statuses = [a.body["status"] for a in answers]
    assert statuses.count("confirmed") == 5 and statuses.count("waitlist") == 25
    assert sorted(a.body["waitlistPosition"] for a in answers if a.body["status"] == "waitlist") == list(range(1, 26))
    # Queue order is arrival order: the five confirmed came first, then the waitlist 1..25.
    queue = await _attendees(server, organizer, event)
    assert [a["status"] for a in queue] == ["confirmed"] * 5 + ["waitlist"] * 25
    assert [a["waitlistPosition"] for a in queue[5:]] == list(range(1, 26))
    by_user = {person.id: person for person in people}
    confirmed = [by_user[a["userId"]] for a in queue[:5]]
    waitlist = [by_user[a["userId"]] for a in queue[5:]]

    sockets = {person.id: await connect(server, person) for person in waitlist}
    newcomers = [await server.account() for _ in range(3)]
    leaving_waitlist = [waitlist[14], waitlist[19]]  # far enough back never to be promoted here
    storm = [
        *(_rsvp(server, person, event, "declined") for person in confirmed[:3]),
        *(server.request("DELETE", f"{V1}/events/{event['id']}/rsvp", token=person.access_token)
          for person in confirmed[3:]),
        *(_rsvp(server, person, event, "declined") for person in leaving_waitlist),
        *(_rsvp(server, person, event) for person in newcomers),
    ]
    seen_counts: list[int] = []

    async def watch() -> None:
        for _ in range(20):
            got = await server.request("GET", f"{V1}/events/{event['id']}", token=organizer.access_token)
            seen_counts.append(got.body["currentAttendees"])

    results = await asyncio.gather(*storm, watch())
    assert all(r.status in (200, 204) for r in results[:-1]), [r.body for r in results[:-1]]
    assert max(seen_counts) <= 5

    queue = await _attendees(server, organizer, event, status="confirmed")
    assert [a["userId"] for a in queue] == [person.id for person in waitlist[:5]]
    still_waiting = await _attendees(server, organizer, event, status="waitlist")
    expected = [p.id for p in waitlist[5:] if p not in leaving_waitlist]
    assert [a["userId"] for a in still_waiting][:len(expected)] == expected
    assert {a["userId"] for a in still_waiting[len(expected):]} == {p.id for p in newcomers}
    assert [a["waitlistPosition"] for a in still_waiting] == list(range(1, len(expected) + 4))
    got = await server.request("GET", f"{V1}/events/{event['id']}", token=organizer.access_token)
    assert got.body["currentAttendees"] == 5 and got.body["waitlistCount"] == len(expected) + 3

    # Each promoted person was told once; nobody else was.
    for person in waitlist[:5]:
        promoted = await sockets[person.id].wait_for("event:promoted")
        assert promoted["event"]["id"] == event["id"] and promoted["attendee"]["status"] == "confirmed"
    await asyncio.sleep(0.5)
    told = {user_id: [name for name, _ in client.events].count("event:promoted") for user_id, client in sockets.items()}
    assert told == {person.id: int(person in waitlist[:5]) for person in waitlist}


async def test_attendees_hear_live_of_promotion_changes_and_cancellation(server):
    organizer, first, second, third = [await server.account() for _ in range(4)]
    event = await _event(server, organizer, maxAttendees=1)
    await _rsvp(server, first, event)
    await _rsvp(server, second, event)
    first_socket, second_socket = await connect(server, first), await connect(server, second)

    removed = await server.request("DELETE", f"{V1}/events/{event['id']}/attendees/{first.id}",
                                   token=organizer.access_token)
    assert removed.status == 204
    promoted = await second_socket.wait_for("event:promoted")
    assert promoted["attendee"]["userId"] == second.id and promoted["event"]["currentAttendees"] == 1
    mine = await server.request("GET", f"{V1}/events/{event['id']}/rsvp", token=second.access_token)
    assert mine.body["status"] == "confirmed" and mine.body["waitlistPosition"] is None
    assert_problem(await server.request("GET", f"{V1}/events/{event['id']}/rsvp", token=first.access_token), 404,
                   "not_found")

    await _rsvp(server, third, event, "maybe")
    third_socket = await connect(server, third)
    later = _at(days=3)
    moved = await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                                 json={"startsAt": later, "endsAt": _at(days=3, hours=1), "location": "Town hall"})
    assert moved.status == 200
    for client in (second_socket, third_socket):
        updated = await client.wait_for("event:updated")
        assert sorted(updated["changed"]) == ["endsAt", "location", "startsAt"]
        assert updated["event"]["location"] == "Town hall"

    await server.request("PATCH", f"{V1}/events/{event['id']}", token=organizer.access_token,
                         json={"status": "cancelled"})
    for client in (second_socket, third_socket):
        cancelled = await client.wait_for("event:cancelled")
        assert cancelled["event"]["status"] == "cancelled" and cancelled["changed"] == ["status"]
    await asyncio.sleep(0.3)
    # Removed from the event, the first person hears nothing of it.
    assert not [name for name, _ in first_socket.events if name.startswith("event:")]
