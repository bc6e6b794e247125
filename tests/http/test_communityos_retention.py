"""CommunityOS data retention: platform admins keep rows of allow-listed tables only so many days; the
worker deletes older ones in batches, nothing newer and nothing else, and records `last_cleanup`."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from chatserver import periodic
from chatserver.actions import retention
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem
from tests.support.roles import admin

V1 = "/api/v1"
POLICIES = f"{V1}/retention-policies"


async def _policy(server, account, **body):
    return await server.request("POST", POLICIES, token=account.access_token, json=body)


async def test_only_platform_admins_manage_policies_and_only_for_allow_listed_tables(server):
    boss, user = await admin(server), await server.account()
    assert_problem(await _policy(server, user, tableName="page_views", retentionDays=30), 403, "forbidden")
    assert_problem(await server.request("GET", POLICIES, token=user.access_token), 403, "forbidden")

    made = await _policy(server, boss, tableName="analytics_events", retentionDays=90,
                         deletionCriteria={"event_type": ["page_view", "click"]})
    assert made.status == 201, made.body
    assert made.body["lastCleanup"] is None and made.body["deletionCriteria"] == {"event_type": ["page_view", "click"]}
    path = f"{POLICIES}/{made.body['id']}"

    for bad in ({"tableName": "users"}, {"tableName": "sessions"}, {"tableName": "schema_migrations"},
                {"tableName": "analytics_events; DROP TABLE users"},
                {"deletionCriteria": {"user_id": ["x"]}}, {"deletionCriteria": {"event_type": []}},
                {"retentionDays": 0}, {"retentionDays": 36501}, {"retentionDays": "30"}):
        refused = await _policy(server, boss, **({"tableName": "analytics_events", "retentionDays": 30} | bad))
        assert_problem(refused, 422, "invalid")
    off_list = await _policy(server, boss, tableName="users", retentionDays=30)
    assert "not on the retention allow-list" in off_list.body["details"]["fields"]["tableName"]

    assert [p["id"] for p in (await server.request("GET", POLICIES, token=boss.access_token)).body["items"]] \
        == [made.body["id"]]
    changed = await server.request("PATCH", path, token=boss.access_token, json={"retentionDays": 7})
    assert changed.status == 200 and changed.body["retentionDays"] == 7
    assert changed.body["deletionCriteria"] == {"event_type": ["page_view", "click"]}
    assert_problem(await server.request("PATCH", path, token=boss.access_token,
                                        json={"deletionCriteria": {"page_path": ["/"]}}), 422, "invalid")
    assert_problem(await server.request("PATCH", path, token=user.access_token, json={"retentionDays": 1}), 403,
                   "forbidden")
    assert (await server.request("DELETE", path, token=boss.access_token)).status == 204
    assert_problem(await server.request("GET", path, token=boss.access_token), 404, "not_found")


@pytest.mark.expect_log(r"retention policy refused: not on the retention allow-list")
async def test_the_worker_deletes_only_old_rows_of_the_allow_listed_tables(server, database_url):
    boss = await admin(server)
    communities = []
    for name in ("Kept", "Also kept"):
        created = await server.request("POST", f"{V1}/communities", token=boss.access_token, json={"name": name})
        communities.append(created.body["id"])
    for table, days, criteria in (("user_activity_logs", 30, {}), ("analytics_events", 30, {"event_type": ["page_view"]})):
        assert (await _policy(server, boss, tableName=table, retentionDays=days, deletionCriteria=criteria)).status == 201

    owner = await asyncpg.connect(database_url)  # rows set up behind the server, some of them backdated
    try:
        for age in ("40 days", "31 days", "29 days", "1 hour"):
            await owner.execute(
                "INSERT INTO user_activity_logs (user_id, action_type, action_category, created_at)"
                " VALUES ($1, 'login', 'auth', now() - $2::text::interval)", boss.id, age)
            await owner.execute("INSERT INTO page_views (user_id, page_path, created_at)"
                                " VALUES ($1, '/', now() - $2::text::interval)", boss.id, age)  # no policy: kept
            for cid in communities:
                for kind in ("page_view", "purchase"):
                    await owner.execute("INSERT INTO analytics_events (community_id, event_type, event_name, occurred_at)"
                                        " VALUES ($1, $2, 'x', now() - $3::text::interval)", cid, kind, age)
        # A policy written into the table by hand, naming a table off the allow-list: refused by the worker.
        rogue = await owner.fetchval("INSERT INTO data_retention_policies (table_name, retention_days)"
                                     " VALUES ('users', 1) RETURNING id")
        await owner.execute("UPDATE users SET created_at = now() - interval '10 days'")
        users_before = await owner.fetchval("SELECT count(*) FROM users")

        await periodic.run_once(server.app[SERVICES])
        assert retention.apply_policies in periodic.PERIODIC_TASKS

        ages = "SELECT array_agg(round(extract(epoch FROM now() - {0}) / 86400) ORDER BY {0}) FROM {1} {2}"
        assert await owner.fetchval(ages.format("created_at", "user_activity_logs", "")) == [29, 0]
        assert await owner.fetchval(ages.format("created_at", "page_views", "")) == [40, 31, 29, 0]
        for cid in communities:
            assert await owner.fetchval(ages.format("occurred_at", "analytics_events",
                                                    "WHERE community_id = $1 AND event_type = 'page_view'"), cid) \
                == [29, 0]
            assert await owner.fetchval(ages.format("occurred_at", "analytics_events",
                                                    "WHERE community_id = $1 AND event_type = 'purchase'"), cid) \
                == [40, 31, 29, 0]
        assert await owner.fetchval("SELECT count(*) FROM users") == users_before
        cleaned = {row["table_name"]: row["last_cleanup"] for row in
                   await owner.fetch("SELECT table_name, last_cleanup FROM data_retention_policies")}
        assert cleaned["users"] is None and cleaned["user_activity_logs"] and cleaned["analytics_events"]
        seen = await server.request("GET", f"{POLICIES}/{rogue}", token=boss.access_token)
        assert seen.body["lastCleanup"] is None
    finally:
        await owner.close()


async def test_retention_deletes_in_batches_until_nothing_old_is_left(server, database_url):
    boss = await admin(server)
    assert (await _policy(server, boss, tableName="feature_usage", retentionDays=1,
                          deletionCriteria={"feature_name": ["search"]})).status == 201
    owner = await asyncpg.connect(database_url)
    try:
        await owner.execute("INSERT INTO feature_usage (user_id, feature_name, action, created_at)"
                            " SELECT $1, f, 'use', now() - interval '2 days' FROM generate_series(1, 7),"
                            " unnest(ARRAY['search', 'chat']) AS f", boss.id)
        await retention.apply_policies(server.app[SERVICES], batch_size=3)  # 7 rows: batches of 3, 3 and 1
        assert await owner.fetchval("SELECT count(*) FROM feature_usage WHERE feature_name = 'search'") == 0
        assert await owner.fetchval("SELECT count(*) FROM feature_usage WHERE feature_name = 'chat'") == 7
        await retention.apply_policies(server.app[SERVICES], batch_size=3)  # again: nothing to do
        assert await owner.fetchval("SELECT count(*) FROM feature_usage") == 7
        # Several workers at once (web processes and `chatserver worker`) delete each row once, and only those.
        await owner.execute("INSERT INTO feature_usage (user_id, feature_name, action, created_at)"
                            " SELECT $1, 'search', 'use', now() - interval '2 days' FROM generate_series(1, 50)", boss.id)
        await asyncio.gather(*(retention.apply_policies(server.app[SERVICES], batch_size=4) for _ in range(4)))
        assert await owner.fetchval("SELECT count(*) FROM feature_usage WHERE feature_name = 'search'") == 0
        assert await owner.fetchval("SELECT count(*) FROM feature_usage") == 7
    finally:
        await owner.close()
