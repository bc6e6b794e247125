"""CommunityOS analytics events: recorded and counted by day and type by a community's admins and
owner, in a table partitioned by month whose partitions the worker makes ahead, a default partition
catching the rest, and row-level security keeping each community's events (and bot) its own."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from chatserver import periodic
from chatserver.actions import analytics
from chatserver.db.tenancy import scope
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem

V1 = "/api/v1"


async def _community(server, owner, **extra) -> str:
    created = await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                   json={"name": "Analysts", **extra})
    assert created.status == 201, created.body
    return created.body["id"]


async def _record(server, account, cid, **event):
    return await server.request("POST", f"{V1}/communities/{cid}/analytics/events", token=account.access_token,
                                json={"eventType": "page_view", "eventName": "home", **event})


async def _counts(server, account, cid, start: str, end: str, **extra):
    query = "&".join(f"{name}={value}" for name, value in {"from": start, "to": end, **extra}.items())
    return await server.request("GET", f"{V1}/communities/{cid}/analytics/counts?{query}", token=account.access_token)


async def _owner_conn(database_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url)


def _month(start: datetime, months: int) -> str:
    year, month = divmod(start.year * 12 + start.month - 1 + months, 12)
    return f"analytics_events_y{year:04d}m{month + 1:02d}"


async def test_admins_record_events_and_count_them_by_utc_day_and_type(server):
    owner, member, stranger = [await server.account() for _ in range(3)]
    cid = await _community(server, owner)
    private = await _community(server, owner, isPrivate=True)
    assert (await server.request("POST", f"{V1}/communities/{cid}/join", token=member.access_token)).status == 201

    day = date.today() - timedelta(days=10)
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    recorded = await _record(server, owner, cid, eventName="pricing", userId=member.id,
                             discordUserId="1187654321098765432", properties={"plan": "gold"},
                             occurredAt=(at + timedelta(hours=1)).isoformat(), sessionId="s-1",
                             ipAddress="2001:db8::1", userAgent="Mozilla/5.0")
    assert recorded.status == 201, recorded.body
    assert recorded.body["communityId"] == cid and recorded.body["userId"] == member.id
    assert recorded.body["ipAddress"] == "2001:db8::1" and recorded.body["properties"] == {"plan": "gold"}
    for offset, kind in ((timedelta(hours=23, minutes=59, seconds=59), "page_view"),  # the day's last second
                         (timedelta(hours=5), "signup"),
                         (timedelta(days=1), "page_view"),                             # the next day's first
                         (timedelta(days=2, hours=3), "signup")):
        assert (await _record(server, owner, cid, eventType=kind, occurredAt=(at + offset).isoformat())).status == 201
    assert (await _record(server, owner, cid)).status == 201  # now
    assert (await _record(server, owner, private)).status == 201  # another community's: never counted here

    counted = await _counts(server, owner, cid, day.isoformat(), (day + timedelta(days=1)).isoformat())
    assert counted.status == 200, counted.body
    assert counted.body["from"] == day.isoformat() and counted.body["total"] == 4
    assert counted.body["counts"] == [
        {"day": day.isoformat(), "eventType": "page_view", "count": 2},
        {"day": day.isoformat(), "eventType": "signup", "count": 1},
        {"day": (day + timedelta(days=1)).isoformat(), "eventType": "page_view", "count": 1}]
    signups = await _counts(server, owner, cid, day.isoformat(), date.today().isoformat(), eventType="signup")
    assert [(c["day"], c["count"]) for c in signups.body["counts"]] == [
        (day.isoformat(), 1), ((day + timedelta(days=2)).isoformat(), 1)]
    year = await _counts(server, owner, cid, (date.today() - timedelta(days=365)).isoformat(), date.today().isoformat())
    assert year.body["total"] == 6

    for account, status, code in ((member, 403, "forbidden"), (stranger, 403, "forbidden")):
        assert_problem(await _record(server, account, cid), status, code)
        assert_problem(await _counts(server, account, cid, day.isoformat(), day.isoformat()), status, code)
    assert_problem(await _record(server, stranger, private), 404, "not_found")
    assert_problem(await _counts(server, stranger, private, day.isoformat(), day.isoformat()), 404, "not_found")

    today = date.today()
    for start, end in ((today, today - timedelta(days=1)), (today - timedelta(days=366), today),
                       ("yesterday", today), ("0", today)):
        assert_problem(await _counts(server, owner, cid, str(start), str(end)), 422, "invalid")
    assert_problem(await server.request("GET", f"{V1}/communities/{cid}/analytics/counts?from={today}",
                                        token=owner.access_token), 422, "invalid")
    ahead = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    for bad in ({"eventType": ""}, {"eventType": "x" * 51}, {"eventName": "x" * 101}, {"occurredAt": ahead},
                {"userId": "00000000-0000-4000-8000-000000000000"}, {"ipAddress": "999.1.1.1"},
                {"discordUserId": "me"}, {"properties": ["a"]}, {"occurredAt": "2026-01-01T00:00:00"}):
        assert_problem(await _record(server, owner, cid, **bad), 422, "invalid")


async def test_many_clients_record_at_once_and_every_event_is_counted(server):
    owner, admin = await server.account(), await server.account()
    cid = await _community(server, owner)
    await server.request("POST", f"{V1}/communities/{cid}/join", token=admin.access_token)
    await server.request("PATCH", f"{V1}/communities/{cid}/members/{admin.id}", token=owner.access_token,
                         json={"role": "admin"})
    answers = await asyncio.gather(*(_record(server, (owner, admin)[i % 2], cid, eventType=f"kind{i % 3}")
                                     for i in range(60)))
    assert [answer.status for answer in answers] == [201] * 60
    counted = await _counts(server, owner, cid, date.today().isoformat(), date.today().isoformat())
    assert counted.body["total"] == 60
    assert {c["eventType"]: c["count"] for c in counted.body["counts"]} == {"kind0": 20, "kind1": 20, "kind2": 20}


async def test_the_worker_creates_the_partitions_ahead_and_moves_early_rows_out_of_the_default(server,
                                                                                             database_url):
    owner = await server.account()
    cid = await _community(server, owner)
    now = datetime.now(UTC)
    expected = {_month(now, months) for months in range(3)}
    owner_conn = await _owner_conn(database_url)
    try:
        async def partitions() -> set[str]:
            return {row["name"] for row in await owner_conn.fetch(
                "SELECT inhrelid::regclass::text AS name FROM pg_inherits"
                " WHERE inhparent = 'analytics_events'::regclass")}

        assert expected.isdisjoint(await partitions())
        long_ago = (now - timedelta(days=800)).isoformat()
        for occurred in (now.isoformat(), long_ago):  # before any month partition: the default takes them
            assert (await _record(server, owner, cid, occurredAt=occurred)).status == 201
        assert await owner_conn.fetchval("SELECT count(*) FROM analytics_events_default") == 2

        assert analytics.create_partitions in periodic.PERIODIC_TASKS
        await periodic.run_once(server.app[SERVICES])
        assert expected | {"analytics_events_default"} == await partitions()
        placed = {row["part"] for row in await owner_conn.fetch(
            "SELECT tableoid::regclass::text AS part FROM analytics_events")}
        assert placed == {_month(now, 0), "analytics_events_default"}  # this month's row was moved out
        # Each partition binds the application role as the parent does.
        assert await owner_conn.fetchval("SELECT bool_and(relrowsecurity) FROM pg_class WHERE relname = ANY($1)",
                                         list(expected)) is True

        # Idempotent, also when several workers run it at once.
        await asyncio.gather(*(analytics.create_partitions(server.app[SERVICES]) for _ in range(5)))
        assert expected | {"analytics_events_default"} == await partitions()
        assert (await _record(server, owner, cid)).status == 201
        assert (await _counts(server, owner, cid, (now - timedelta(days=365)).date().isoformat(),
                              now.date().isoformat())).body["total"] == 2  # the one of 800 days ago is not in range
    finally:
        await owner_conn.close()


async def test_the_application_role_sees_and_writes_only_the_scoped_community_even_unfiltered(server):
    owner = await server.account()
    first, second = await _community(server, owner, name="First"), await _community(server, owner, name="Second")
    first_id, second_id = UUID(first), UUID(second)
    for cid, count in ((first, 2), (second, 1)):
        for _ in range(count):
            assert (await _record(server, owner, cid)).status == 201
        assert (await server.request("PUT", f"{V1}/communities/{cid}/bot", token=owner.access_token,
                                     json={"clientId": "1187654321098765432"})).status == 200
    await periodic.run_once(server.app[SERVICES])  # partitions too: each binds the role as the parent does
    month = _month(datetime.now(UTC), 0)

    db = server.app[SERVICES].db  # the server's pool: the application role
    async with db.transaction("test_unscoped") as conn:
        for table in ("analytics_events", "discord_bot_configs", month, "analytics_events_default"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0  # nothing scoped: nothing seen
    async with db.transaction("test_scoped") as conn:
        await scope(conn, community_id=second_id)
        assert {row["community_id"] for row in await conn.fetch("SELECT community_id FROM analytics_events")} \
            == {second_id} and await conn.fetchval(f"SELECT count(*) FROM {month}") == 1
        assert [row["community_id"] for row in await conn.fetch("SELECT community_id FROM discord_bot_configs")] \
            == [second_id]
        assert await conn.execute("UPDATE discord_bot_configs SET prefix = '#'") == "UPDATE 1"
        assert await conn.execute("DELETE FROM analytics_events") == "DELETE 1"
    for statement in ("INSERT INTO analytics_events (community_id, event_type, event_name) VALUES ($1, 'x', 'y')",
                      "INSERT INTO discord_bot_configs (community_id, client_id) VALUES ($1, '1187654321098765432')"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # a row of another community: refused
            async with db.transaction("test_foreign_write") as conn:
                await scope(conn, community_id=second_id)
                await conn.execute(statement, first_id)
    async with db.transaction("test_first") as conn:
        await scope(conn, community_id=first_id)
        assert await conn.fetchval("SELECT count(*) FROM analytics_events") == 2
        assert await conn.fetchval("SELECT prefix FROM discord_bot_configs") == "!"
