"""Versioned documents with suggestions; calendar blocks; one daily interview a day."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.http.test_auth import assert_problem
from tests.support.roles import sql

V1 = "/api/v1"
MONDAY = "2026-11-16"
TUESDAY = "2026-11-17"


async def test_documents_are_versioned_and_suggestions_name_one_version(server):
    alice, bob = await server.account(), await server.account()
    first = await server.request("POST", f"{V1}/documents", token=alice.access_token,
                                 json={"title": "CV", "content": "v1", "kind": "text"})
    assert first.status == 201 and first.body["versionCount"] == 1
    doc_id = first.body["id"]
    second = await server.request("POST", f"{V1}/documents/{doc_id}/versions", token=alice.access_token,
                                  json={"title": "CV", "content": "v2"})
    assert second.body["id"] == doc_id and second.body["createdAt"] > first.body["createdAt"]
    latest = await server.request("GET", f"{V1}/documents/{doc_id}", token=alice.access_token)
    assert latest.body["content"] == "v2" and latest.body["versionCount"] == 2
    listed = await server.request("GET", f"{V1}/documents", token=alice.access_token)
    assert [(d["id"], d["content"]) for d in listed.body["items"]] == [(doc_id, "v2")]
    versions = await server.request("GET", f"{V1}/documents/{doc_id}/versions", token=alice.access_token)
    assert [v["content"] for v in versions.body["items"]] == ["v2", "v1"]

    suggestion = {"documentId": doc_id, "documentCreatedAt": first.body["createdAt"],
                  "originalText": "v1", "suggestedText": "version one"}
    made = await server.request("POST", f"{V1}/suggestions", token=alice.access_token, json=suggestion)
    assert made.status == 201 and made.body["documentCreatedAt"] == first.body["createdAt"]
    shifted = (datetime.fromisoformat(first.body["createdAt"]) + timedelta(milliseconds=1)).isoformat()
    no_version = await server.request("POST", f"{V1}/suggestions", token=alice.access_token,
                                      json=suggestion | {"documentCreatedAt": shifted})
    assert_problem(no_version, 422, "invalid")
    assert "documentCreatedAt" in no_version.body["errors"]
    assert_problem(await server.request("POST", f"{V1}/suggestions", token=bob.access_token, json=suggestion), 403,
                   "forbidden")
    resolved = await server.request("PATCH", f"{V1}/suggestions/{made.body['id']}", token=alice.access_token,
                                    json={"isResolved": True})
    assert resolved.body["isResolved"] is True

    for path in (f"/documents/{doc_id}", f"/documents/{doc_id}/versions", f"/suggestions/{made.body['id']}"):
        assert_problem(await server.request("GET", V1 + path, token=bob.access_token), 404, "not_found")
    assert_problem(await server.request("POST", f"{V1}/documents/{doc_id}/versions", token=bob.access_token,
                                        json={"title": "mine"}), 404, "not_found")
    assert (await server.request("DELETE", f"{V1}/documents/{doc_id}", token=alice.access_token)).status == 204
    assert (await server.request("GET", f"{V1}/suggestions", token=alice.access_token)).body["items"] == []


async def _block(server, account, **change):
    body = {"weekStartDate": MONDAY, "dayOfWeek": 2, "startTime": "09:00:00", "endTime": "10:30:00"} | change
    return await server.request("POST", f"{V1}/calendar-blocks", token=account.access_token, json=body)


async def test_calendar_blocks_start_on_mondays_end_after_they_start_and_are_unique(server):
    alice, bob = await server.account(), await server.account()
    created = await _block(server, alice)
    assert created.status == 201 and created.body["isBlocked"] is True
    assert created.body["startTime"] == "09:00:00"
    tuesday = await _block(server, alice, weekStartDate=TUESDAY)
    assert_problem(tuesday, 422, "invalid")
    assert "weekStartDate" in tuesday.body["errors"]
    backwards = await _block(server, alice, startTime="11:00:00", endTime="10:00:00")
    assert_problem(backwards, 422, "invalid")
    assert "endTime" in backwards.body["errors"]
    assert_problem(await _block(server, alice, dayOfWeek=7), 422, "invalid")
    assert_problem(await _block(server, alice), 409, "conflict")
    assert (await _block(server, bob)).status == 201  # the same slot in someone else's week

    changed = await server.request("PATCH", f"{V1}/calendar-blocks/{created.body['id']}", token=alice.access_token,
                                   json={"endTime": "08:00:00"})
    assert_problem(changed, 422, "invalid")
    listed = await server.request("GET", f"{V1}/calendar-blocks?weekStartDate={MONDAY}", token=alice.access_token)
    assert [b["id"] for b in listed.body["items"]] == [created.body["id"]]
    assert_problem(await server.request("DELETE", f"{V1}/calendar-blocks/{created.body['id']}",
                                        token=bob.access_token), 404, "not_found")


async def test_one_daily_interview_a_day_and_one_answer_per_question(server):
    alice, bob = await server.account(), await server.account()
    started = await server.request("POST", f"{V1}/daily-interviews", token=alice.access_token,
                                   json={"category": "behavioral"})
    assert started.status == 201
    assert started.body["interviewDate"] == datetime.now(UTC).date().isoformat()
    assert_problem(await server.request("POST", f"{V1}/daily-interviews", token=alice.access_token, json={}),
                   409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/daily-interviews", token=alice.access_token,
                                        json={"interviewDate": "2020-01-01"}), 422, "invalid")
    counts = await sql(server, "SELECT interview_count, last_interview_date FROM users WHERE id = $1",
                       uuid.UUID(alice.id))
    assert counts[0]["interview_count"] == 1
    assert counts[0]["last_interview_date"] == datetime.now(UTC).date()

    interview_id = started.body["id"]
    answer = {"dailyInterviewId": interview_id, "category": "behavioral", "questionId": 3,
              "question": "Tell me about a conflict", "answer": "Once..."}
    assert (await server.request("POST", f"{V1}/interview-progress", token=alice.access_token, json=answer)).status \
        == 201
    assert_problem(await server.request("POST", f"{V1}/interview-progress", token=alice.access_token, json=answer),
                   409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/interview-progress", token=bob.access_token,
                                        json=answer | {"questionId": 4}), 403, "forbidden")
    assert_problem(await server.request("POST", f"{V1}/daily-interviews/{interview_id}/complete",
                                        token=bob.access_token), 404, "not_found")
    done = await server.request("POST", f"{V1}/daily-interviews/{interview_id}/complete", token=alice.access_token)
    assert done.body["isCompleted"] is True and done.body["completedAt"]
    assert_problem(await server.request("POST", f"{V1}/daily-interviews/{interview_id}/complete",
                                        token=alice.access_token), 409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/interview-progress", token=alice.access_token,
                                        json=answer | {"questionId": 5}), 409, "conflict")
    # Yesterday's interview does not stop today's.
    await sql(server, "UPDATE daily_interviews SET interview_date = interview_date - 1 WHERE id = $1",
              uuid.UUID(interview_id))
    assert (await server.request("POST", f"{V1}/daily-interviews", token=alice.access_token, json={})).status == 201
    assert (await server.request("GET", f"{V1}/daily-interviews", token=bob.access_token)).body["items"] == []
