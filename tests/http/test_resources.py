"""The generic resource registry: one implementation, tried through resources of each policy kind."""

from __future__ import annotations

import uuid

from openapi_spec_validator import validate

from tests.http.test_auth import assert_problem
from tests.support.roles import admin, set_role

V1 = "/api/v1"


async def test_own_rows_are_created_for_the_caller_and_seen_by_nobody_else(server):
    alice, bob = await server.account(), await server.account()
    created = await server.request("POST", f"{V1}/uploads", token=alice.access_token,
                                   json={"fileUrl": "https://files.example.com/cv.pdf", "fileType": "cv"})
    assert created.status == 201, created.body
    upload = created.body
    assert upload["userId"] == alice.id and upload["userEmail"] == alice.email
    assert upload["createdAt"].endswith("Z")

    mine = await server.request("GET", f"{V1}/uploads", token=alice.access_token)
    assert [item["id"] for item in mine.body["items"]] == [upload["id"]]
    assert mine.body["nextCursor"] is None
    theirs = await server.request("GET", f"{V1}/uploads", token=bob.access_token)
    assert theirs.body == {"items": [], "nextCursor": None}
    # Filters cannot reach past the scope either.
    filtered = await server.request("GET", f"{V1}/uploads?fileType=cv", token=bob.access_token)
    assert filtered.body["items"] == []

    assert_problem(await server.request("GET", f"{V1}/uploads/{upload['id']}", token=bob.access_token),
                   404, "not_found")
    assert_problem(await server.request("DELETE", f"{V1}/uploads/{upload['id']}", token=bob.access_token),
                   404, "not_found")
    assert (await server.request("GET", f"{V1}/uploads/{upload['id']}", token=alice.access_token)).status == 200


async def test_the_owner_column_cannot_be_chosen_by_the_client(server):
    alice, bob = await server.account(), await server.account()
    response = await server.request("POST", f"{V1}/uploads", token=alice.access_token, json={
        "fileUrl": "https://files.example.com/cv.pdf", "fileType": "cv", "userId": bob.id})
    assert_problem(response, 422, "invalid")
    assert "userId" in response.body["errors"]


async def test_admins_see_and_delete_everyones_rows(server):
    alice = await server.account()
    boss = await admin(server)
    created = await server.request("POST", f"{V1}/premium-interests", token=alice.access_token, json={
        "fullName": "Alice A", "emailAddress": "alice@example.com", "paragraphInterest": "tell me more"})
    assert created.status == 201
    listed = await server.request("GET", f"{V1}/premium-interests", token=boss.access_token)
    assert [item["id"] for item in listed.body["items"]] == [created.body["id"]]
    deleted = await server.request("DELETE", f"{V1}/premium-interests/{created.body['id']}", token=boss.access_token)
    assert deleted.status == 204
    assert (await server.request("GET", f"{V1}/premium-interests", token=alice.access_token)).body["items"] == []


async def test_cursor_pages_cover_every_row_once_newest_first(server):
    alice = await server.account()
    ids = []
    for n in range(7):
        created = await server.request("POST", f"{V1}/archive-cards", token=alice.access_token,
                                       json={"name": f"card {n}", "email": f"c{n}@example.com"})
        ids.append(created.body["id"])
    seen, cursor = [], None
    while True:
        query = f"?limit=3&cursor={cursor}" if cursor else "?limit=3"
        page = await server.request("GET", f"{V1}/archive-cards{query}", token=alice.access_token)
        assert page.status == 200 and len(page.body["items"]) <= 3
        seen += [item["id"] for item in page.body["items"]]
        cursor = page.body["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_bad_list_queries_are_invalid(server):
    alice = await server.account()
    for query in ("?limit=0", "?limit=101", "?cursor=garbage", "?cursor=WzEsMl0", "?fileType=resume",
                  "?userId=not-a-uuid", "?unknown=1"):
        assert_problem(await server.request("GET", f"{V1}/uploads{query}", token=alice.access_token), 422,
                       "invalid")
    assert_problem(await server.request("GET", f"{V1}/uploads"), 401, "unauthorized")


async def test_admin_managed_reference_data(server):
    user, boss = await server.account(), await admin(server)
    assert_problem(await server.request("POST", f"{V1}/skills", token=user.access_token, json={"name": "SQL"}),
                   403, "forbidden")
    created = await server.request("POST", f"{V1}/skills", token=boss.access_token, json={"name": "SQL"})
    assert created.status == 201
    skill_id = created.body["id"]
    assert_problem(await server.request("POST", f"{V1}/skills", token=boss.access_token, json={"name": "SQL"}),
                   409, "conflict")
    listed = await server.request("GET", f"{V1}/skills", token=user.access_token)
    assert [item["name"] for item in listed.body["items"]] == ["SQL"]
    assert_problem(await server.request("PATCH", f"{V1}/skills/{skill_id}", token=user.access_token,
                                        json={"name": "Postgres"}), 403, "forbidden")
    renamed = await server.request("PATCH", f"{V1}/skills/{skill_id}", token=boss.access_token,
                                   json={"name": "PostgreSQL"})
    assert renamed.status == 200 and renamed.body["name"] == "PostgreSQL"
    assert_problem(await server.request("DELETE", f"{V1}/skills/{skill_id}", token=user.access_token),
                   403, "forbidden")
    assert (await server.request("DELETE", f"{V1}/skills/{skill_id}", token=boss.access_token)).status == 204
    assert_problem(await server.request("GET", f"{V1}/skills/{skill_id}", token=user.access_token), 404,
                   "not_found")


async def test_constraint_violations_become_invalid_naming_the_field(server):
    boss = await admin(server)
    missing_skill = await server.request("POST", f"{V1}/skill-questions", token=boss.access_token, json={
        "skillId": str(uuid.uuid4()), "question": "2+2?", "options": ["1", "2", "3", "4"], "correctIndex": 3})
    assert_problem(missing_skill, 422, "invalid")
    assert "skillId" in missing_skill.body["errors"]
    for body, field in (({"question": "x\x00y"}, "question"), ({"options": ["a", "b"]}, "options"),
                        ({"correctIndex": 4}, "correctIndex")):
        full = {"skillId": str(uuid.uuid4()), "question": "q", "options": ["a", "b", "c", "d"], "correctIndex": 0}
        response = await server.request("POST", f"{V1}/skill-questions", token=boss.access_token,
                                        json=full | body)
        assert_problem(response, 422, "invalid")
        assert field in response.body["errors"]


async def test_null_for_a_column_that_cannot_hold_it_changes_nothing(server):
    boss = await admin(server)
    skill = (await server.request("POST", f"{V1}/skills", token=boss.access_token, json={"name": "Go"})).body
    assert_problem(await server.request("PATCH", f"{V1}/skills/{skill['id']}", token=boss.access_token,
                                        json={"name": None}), 422, "invalid")
    unchanged = await server.request("PATCH", f"{V1}/skills/{skill['id']}", token=boss.access_token, json={})
    assert unchanged.status == 200 and unchanged.body["name"] == "Go"


async def test_role_gated_creation_owner_changes_search_and_text_keys(server):
    user, recruiter, other_recruiter = await server.account(), await server.account(), await server.account()
    await set_role(server, recruiter, "recruiter")
    await set_role(server, other_recruiter, "recruiter")
    job = {"jobTitle": "Backend engineer", "employerName": "Acme", "jobDescription": "PostgreSQL and Python",
           "kind": "remote", "jobCountry": "EG"}
    assert_problem(await server.request("POST", f"{V1}/jobs", token=user.access_token, json=job), 403,
                   "forbidden")
    created = await server.request("POST", f"{V1}/jobs", token=recruiter.access_token, json=job)
    assert created.status == 201, created.body
    posting = created.body
    assert posting["postedByUserId"] == recruiter.id and posting["jobIsRemote"] is True  # remote default
    part_time = await server.request("POST", f"{V1}/jobs", token=recruiter.access_token, json={
        "id": "board-123", "kind": "part_time", "jobTitle": "Barista"})
    assert part_time.body["id"] == "board-123" and part_time.body["jobEmploymentType"] == "Part-time"

    assert (await server.request("GET", f"{V1}/jobs/board-123", token=user.access_token)).status == 200
    found = await server.request("GET", f"{V1}/jobs?q=postgresql", token=user.access_token)
    assert [item["id"] for item in found.body["items"]] == [posting["id"]]
    remote = await server.request("GET", f"{V1}/jobs?kind=remote&jobCountry=EG", token=user.access_token)
    assert [item["id"] for item in remote.body["items"]] == [posting["id"]]
    assert (await server.request("GET", f"{V1}/jobs?jobIsRemote=false", token=user.access_token)).body["items"] == []

    assert_problem(await server.request("PATCH", f"{V1}/jobs/{posting['id']}", token=other_recruiter.access_token,
                                        json={"jobTitle": "Mine now"}), 403, "forbidden")
    changed = await server.request("PATCH", f"{V1}/jobs/{posting['id']}", token=recruiter.access_token,
                                   json={"jobTitle": "Senior backend engineer"})
    assert changed.body["jobTitle"] == "Senior backend engineer" and changed.body["updatedAt"] >= posting["updatedAt"]
    assert_problem(await server.request("POST", f"{V1}/jobs", token=recruiter.access_token,
                                        json={"id": "board-123"}), 409, "conflict")


async def test_profiles_are_private_and_their_server_fields_read_only(server):
    alice, bob = await server.account(), await server.account()
    mine = await server.request("GET", f"{V1}/user-profiles/{alice.id}", token=alice.access_token)
    assert mine.status == 200 and mine.body["anonymousName"] and mine.body["isVerified"] is False
    assert_problem(await server.request("GET", f"{V1}/user-profiles/{alice.id}", token=bob.access_token), 404,
                   "not_found")
    changed = await server.request("PATCH", f"{V1}/user-profiles/{alice.id}", token=alice.access_token,
                                   json={"goals": "Lead a team", "education": [{"school": "MIT"}]})
    assert changed.status == 200 and changed.body["education"] == [{"school": "MIT"}]
    for forbidden_change in ({"isVerified": True}, {"anonymousName": "Me"}, {"inviteSourceId": bob.id}):
        assert_problem(await server.request("PATCH", f"{V1}/user-profiles/{alice.id}", token=alice.access_token,
                                            json=forbidden_change), 422, "invalid")
    assert_problem(await server.request("PATCH", f"{V1}/user-profiles/{alice.id}", token=alice.access_token,
                                        json={"experience": [{"title": "a\x00b"}]}), 422, "invalid")


async def test_generated_resources_are_in_the_openapi_document(server):
    document = (await server.request("GET", "/api/openapi.json")).body
    validate(document)
    paths = document["paths"]
    for path in ("/api/v1/uploads", "/api/v1/uploads/{id}", "/api/v1/jobs", "/api/v1/skills/{id}"):
        assert path in paths, path
    assert paths["/api/v1/jobs/{id}"]["get"]["parameters"][0]["schema"] == {
        "type": "string", "minLength": 1, "pattern": "^[^\\x00]*$"}
    create = paths["/api/v1/uploads"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/UploadCreate")
    assert "201" in create["responses"] and "403" in create["responses"]
    schemas = document["components"]["schemas"]
    assert set(schemas["UploadCreate"]["required"]) == {"fileUrl", "fileType"}
    assert "userId" not in schemas["UploadCreate"]["properties"]
    assert "correctIndex" in schemas["SkillQuestion"]["properties"]
    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
