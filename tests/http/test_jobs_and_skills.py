"""Job applications (withdraw, interview rounds scored 1..10) and skill assessments scored by the server."""

from __future__ import annotations

from tests.http.test_auth import assert_problem
from tests.support.roles import admin, set_role

V1 = "/api/v1"


async def _posting(server):
    recruiter = await server.account()
    await set_role(server, recruiter, "recruiter")
    job = await server.request("POST", f"{V1}/jobs", token=recruiter.access_token,
                               json={"jobTitle": "Data engineer", "employerName": "Acme"})
    return recruiter, job.body


async def test_applications_are_seen_by_the_applicant_and_the_poster_only(server):
    recruiter, job = await _posting(server)
    other_recruiter, _ = await _posting(server)
    applicant, stranger = await server.account(), await server.account()
    applied = await server.request("POST", f"{V1}/job-applications", token=applicant.access_token,
                                   json={"jobId": job["id"], "coverLetter": "I love data"})
    assert applied.status == 201, applied.body
    application = applied.body
    assert application["userId"] == applicant.id and application["email"] == applicant.email
    assert application["status"] == "pending" and application["withdrawn"] is False
    assert_problem(await server.request("POST", f"{V1}/job-applications", token=applicant.access_token,
                                        json={"jobId": job["id"], "coverLetter": "again"}), 409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/job-applications", token=applicant.access_token,
                                        json={"jobId": "no-such-job", "coverLetter": "x"}), 404, "not_found")

    for viewer, expected in ((applicant, [application["id"]]), (recruiter, [application["id"]]),
                             (other_recruiter, []), (stranger, [])):
        listed = await server.request("GET", f"{V1}/job-applications", token=viewer.access_token)
        assert [a["id"] for a in listed.body["items"]] == expected
    by_job = await server.request("GET", f"{V1}/job-applications?jobId={job['id']}", token=recruiter.access_token)
    assert len(by_job.body["items"]) == 1

    assert_problem(await server.request("PATCH", f"{V1}/job-applications/{application['id']}",
                                        token=applicant.access_token, json={"status": "hired"}), 403, "forbidden")
    assert_problem(await server.request("PATCH", f"{V1}/job-applications/{application['id']}",
                                        token=other_recruiter.access_token, json={"status": "rejected"}), 403,
                   "forbidden")
    reviewed = await server.request("PATCH", f"{V1}/job-applications/{application['id']}",
                                    token=recruiter.access_token, json={"status": "interviewing",
                                                                        "feedback": "Strong"})
    assert reviewed.body["status"] == "interviewing" and reviewed.body["feedback"] == "Strong"


async def test_interview_rounds_are_run_by_the_poster_and_scored_1_to_10(server):
    recruiter, job = await _posting(server)
    applicant = await server.account()
    application = (await server.request("POST", f"{V1}/job-applications", token=applicant.access_token,
                                        json={"jobId": job["id"], "coverLetter": "hello"})).body
    round_one = {"applicationId": application["id"], "roundNumber": 1, "roundType": "phone_screening"}
    assert_problem(await server.request("POST", f"{V1}/interview-rounds", token=applicant.access_token,
                                        json=round_one), 403, "forbidden")
    created = await server.request("POST", f"{V1}/interview-rounds", token=recruiter.access_token, json=round_one)
    assert created.status == 201 and created.body["status"] == "scheduled"
    assert_problem(await server.request("POST", f"{V1}/interview-rounds", token=recruiter.access_token,
                                        json=round_one), 409, "conflict")
    for score in (0, 11):
        assert_problem(await server.request("PATCH", f"{V1}/interview-rounds/{created.body['id']}",
                                            token=recruiter.access_token, json={"score": score}), 422, "invalid")
    scored = await server.request("PATCH", f"{V1}/interview-rounds/{created.body['id']}",
                                  token=recruiter.access_token, json={"score": 8, "status": "completed"})
    assert scored.body["score"] == 8
    seen = await server.request("GET", f"{V1}/interview-rounds?applicationId={application['id']}",
                                token=applicant.access_token)
    assert [r["score"] for r in seen.body["items"]] == [8]
    assert_problem(await server.request("PATCH", f"{V1}/interview-rounds/{created.body['id']}",
                                        token=applicant.access_token, json={"score": 10}), 403, "forbidden")
    stranger = await server.account()
    assert (await server.request("GET", f"{V1}/interview-rounds", token=stranger.access_token)).body["items"] == []


async def test_withdrawing_an_application(server):
    recruiter, job = await _posting(server)
    applicant = await server.account()
    application = (await server.request("POST", f"{V1}/job-applications", token=applicant.access_token,
                                        json={"jobId": job["id"], "coverLetter": "hello"})).body
    path = f"{V1}/job-applications/{application['id']}/withdraw"
    assert_problem(await server.request("POST", path, token=recruiter.access_token), 403, "forbidden")
    withdrawn = await server.request("POST", path, token=applicant.access_token)
    assert withdrawn.body["withdrawn"] is True and withdrawn.body["withdrawnAt"]
    assert_problem(await server.request("POST", path, token=applicant.access_token), 409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/interview-rounds", token=recruiter.access_token, json={
        "applicationId": application["id"], "roundNumber": 1, "roundType": "hr"}), 409, "conflict")


async def _skill_with_questions(server, boss):
    skill = (await server.request("POST", f"{V1}/skills", token=boss.access_token, json={"name": "SQL"})).body
    questions = []
    for n, correct in enumerate((0, 1, 2)):
        created = await server.request("POST", f"{V1}/skill-questions", token=boss.access_token, json={
            "skillId": skill["id"], "question": f"Question {n}", "options": ["a", "b", "c", "d"],
            "correctIndex": correct})
        assert created.status == 201, created.body
        questions.append(created.body)
    return skill, questions


async def test_a_taker_never_sees_the_correct_answers(server):
    boss, taker = await admin(server), await server.account()
    skill, questions = await _skill_with_questions(server, boss)
    served = await server.request("GET", f"{V1}/skills/{skill['id']}/questions", token=taker.access_token)
    assert len(served.body["items"]) == 3
    assert "correctIndex" not in str(served.body) and "correct" not in served.body["items"][0]
    assert (await server.request("GET", f"{V1}/skill-questions", token=taker.access_token)).body["items"] == []
    assert_problem(await server.request("GET", f"{V1}/skill-questions/{questions[0]['id']}",
                                        token=taker.access_token), 404, "not_found")


async def test_attempts_are_scored_by_the_server_and_the_best_score_kept(server):
    boss, taker, other = await admin(server), await server.account(), await server.account()
    skill, questions = await _skill_with_questions(server, boss)
    path = f"{V1}/skills/{skill['id']}/attempts"

    def answers(*chosen):
        return {"answers": [{"questionId": q["id"], "selectedIndex": i}
                            for q, i in zip(questions, chosen, strict=False)]}

    first = await server.request("POST", path, token=taker.access_token, json=answers(0, 1, 3))
    assert first.status == 201 and (first.body["score"], first.body["total"]) == (2, 3)
    worse = await server.request("POST", path, token=taker.access_token, json=answers(3))  # two left unanswered
    assert (worse.body["score"], worse.body["bestScore"]) == (0, 2)
    assert_problem(await server.request("POST", path, token=taker.access_token,
                                        json={"answers": [{"questionId": questions[0]["id"], "selectedIndex": 0},
                                                          {"questionId": questions[0]["id"], "selectedIndex": 1}]}),
                   422, "invalid")
    assert_problem(await server.request("POST", path, token=taker.access_token, json={"score": 3, "answers": []}),
                   422, "invalid")
    best = await server.request("GET", f"{V1}/skill-best-scores", token=taker.access_token)
    assert best.body["items"] == [{"skillId": skill["id"], "skillName": "SQL", "bestScore": 2, "total": 3,
                                   "attempts": 2, "lastAttemptAt": worse.body["createdAt"]}]
    mine = await server.request("GET", f"{V1}/skill-attempts?skillId={skill['id']}", token=taker.access_token)
    assert len(mine.body["items"]) == 2
    assert (await server.request("GET", f"{V1}/skill-attempts", token=other.access_token)).body["items"] == []
    assert (await server.request("GET", f"{V1}/skill-best-scores", token=other.access_token)).body["items"] == []
