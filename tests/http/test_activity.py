"""Activity analytics recorded over HTTP, and the daily summaries computed from them."""

from __future__ import annotations

import asyncio

import pytest

from tests.http.test_auth import assert_problem
from tests.support.roles import admin

V1 = "/api/v1"


async def _record(server, account):
    session = await server.request("POST", f"{V1}/activity-sessions", token=account.access_token,
                                   json={"sessionToken": f"tok-{account.username}", "browser": "Firefox"},
                                   headers={"User-Agent": "pytest-browser"})
    assert session.status == 201, session.body
    assert session.body["userAgent"] == "pytest-browser" and session.body["ipAddress"] == "127.0.0.1"
    view = await server.request("POST", f"{V1}/page-views", token=account.access_token, json={
        "sessionId": session.body["id"], "pagePath": "/jobs", "timeOnPage": 12})
    assert view.status == 201, view.body
    log = await server.request("POST", f"{V1}/activity-logs", token=account.access_token, json={
        "actionType": "job_view", "actionCategory": "jobs", "metadata": {"jobId": "x"}})
    assert log.status == 201 and log.body["ipAddress"] == "127.0.0.1"
    use = await server.request("POST", f"{V1}/feature-usage", token=account.access_token,
                               json={"featureName": "ai_chat", "action": "open"})
    assert use.status == 201
    return session.body


async def test_users_record_their_activity_and_see_only_their_own(server):
    alice, bob = await server.account(), await server.account()
    alices = await _record(server, alice)
    for path in ("/activity-sessions", "/page-views", "/activity-logs", "/feature-usage"):
        assert len((await server.request("GET", V1 + path, token=alice.access_token)).body["items"]) == 1, path
        assert (await server.request("GET", V1 + path, token=bob.access_token)).body["items"] == [], path
    stolen = await server.request("POST", f"{V1}/page-views", token=bob.access_token,
                                  json={"sessionId": alices["id"], "pagePath": "/"})
    assert_problem(stolen, 403, "forbidden")
    assert_problem(await server.request("POST", f"{V1}/activity-logs", token=bob.access_token, json={
        "actionType": "x", "actionCategory": "y", "ipAddress": "10.0.0.1"}), 422, "invalid")
    ended = await server.request("PATCH", f"{V1}/activity-sessions/{alices['id']}", token=alice.access_token,
                                 json={"isActive": False, "endedAt": "2030-01-01T00:00:00Z"})
    assert ended.body["isActive"] is False and ended.body["lastActivityAt"] >= alices["lastActivityAt"]
    assert_problem(await server.request("POST", f"{V1}/activity-sessions", token=bob.access_token,
                                        json={"sessionToken": "tok-" + alice.username}), 409, "conflict")


async def test_admins_compute_and_read_daily_summaries(server):
    alice, bob = await server.account(), await server.account()
    boss = await admin(server)
    await _record(server, alice)
    await _record(server, bob)
    assert_problem(await server.request("POST", f"{V1}/daily-activity-summaries/compute", token=alice.access_token,
                                        json={}), 403, "forbidden")
    summary = await server.request("POST", f"{V1}/daily-activity-summaries/compute", token=boss.access_token,
                                   json={})
    assert summary.status == 200, summary.body
    figures = summary.body
    assert (figures["totalUsersActive"], figures["totalSessions"], figures["totalPageViews"]) == (2, 2, 2)
    assert figures["totalActions"] == 4 and figures["newRegistrations"] == 3
    # Computing again rewrites the same day's row.
    again = await server.request("POST", f"{V1}/daily-activity-summaries/compute", token=boss.access_token,
                                 json={"date": figures["date"]})
    assert again.body["id"] == figures["id"]
    listed = await server.request("GET", f"{V1}/daily-activity-summaries", token=boss.access_token)
    assert [s["date"] for s in listed.body["items"]] == [figures["date"]]
    assert (await server.request("GET", f"{V1}/daily-activity-summaries", token=alice.access_token)).body[
        "items"] == []


async def test_reference_data_for_activity_is_managed_by_admins(server):
    user, boss = await server.account(), await admin(server)
    assert_problem(await server.request("POST", f"{V1}/activity-categories", token=user.access_token,
                                        json={"name": "jobs"}), 403, "forbidden")
    category = await server.request("POST", f"{V1}/activity-categories", token=boss.access_token,
                                    json={"name": "jobs"})
    kind = await server.request("POST", f"{V1}/activity-types", token=boss.access_token,
                                json={"name": "job_view", "categoryId": category.body["id"]})
    assert kind.status == 201 and kind.body["isTracked"] is True
    listed = await server.request("GET", f"{V1}/activity-types?categoryId={category.body['id']}",
                                  token=user.access_token)
    assert [t["name"] for t in listed.body["items"]] == ["job_view"]


@pytest.mark.settings(PERIODIC_JOBS_INTERVAL=1)
async def test_the_periodic_job_writes_summaries(server):
    boss = await admin(server)
    for _ in range(40):
        listed = await server.request("GET", f"{V1}/daily-activity-summaries", token=boss.access_token)
        if len(listed.body["items"]) == 2:  # yesterday and today
            break
        await asyncio.sleep(0.1)
    assert len(listed.body["items"]) == 2
