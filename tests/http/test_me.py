"""The signed-in account, its devices, and public profiles."""

from __future__ import annotations

import uuid

import pytest

from tests.http.test_auth import assert_problem


async def test_read_and_update_my_account(server):
    account = await server.account("erin")
    me = await server.request("GET", "/api/v1/me", token=account.access_token)
    assert me.body["user"]["email"] == account.email and me.body["user"]["role"] == "user"

    changed = await server.request("PATCH", "/api/v1/me", token=account.access_token, json={
        "displayName": "Erin E", "bio": "Writes compilers", "avatarUrl": "https://img.example.com/e.png",
        "company": "Acme", "locale": "fr-FR"})
    assert changed.status == 200
    user = changed.body["user"]
    assert (user["displayName"], user["bio"], user["company"], user["locale"]) == \
        ("Erin E", "Writes compilers", "Acme", "fr-FR")
    again = await server.request("GET", "/api/v1/me", token=account.access_token)
    assert again.body["user"]["bio"] == "Writes compilers"

    public = await server.request("GET", f"/api/v1/users/{account.id}",
                                  token=(await server.account()).access_token)
    assert public.status == 200
    assert public.body["user"]["displayName"] == "Erin E"
    assert "email" not in public.body["user"] and "role" not in public.body["user"]


@pytest.mark.parametrize(("body", "field"), [
    ({"avatarUrl": "javascript:alert(1)"}, "avatarUrl"),
    ({"bio": "b" * 4001}, "bio"),
    ({"displayName": ""}, "displayName"),
    ({"locale": "french"}, "locale"),
    ({"locale": None}, "locale"),
    ({"email": "new@example.com"}, "email"),
    ({"role": "admin"}, "role"),
    ({"displayName": 7}, "displayName"),
])
async def test_bad_profile_updates_change_nothing(server, body, field):
    account = await server.account()
    before = await server.request("GET", "/api/v1/me", token=account.access_token)
    response = await server.request("PATCH", "/api/v1/me", token=account.access_token, json=body)
    assert_problem(response, 422, "invalid")
    assert field in response.body["errors"]
    after = await server.request("GET", "/api/v1/me", token=account.access_token)
    assert after.body == before.body


async def test_unknown_and_malformed_user_ids(server):
    account = await server.account()
    assert_problem(await server.request("GET", f"/api/v1/users/{uuid.uuid4()}", token=account.access_token),
                   404, "not_found")
    assert_problem(await server.request("GET", "/api/v1/users/not-a-uuid", token=account.access_token),
                   422, "invalid")
    assert_problem(await server.request("GET", f"/api/v1/users/{account.id}"), 401, "unauthorized")


async def test_list_and_revoke_my_sessions(server):
    account = await server.account()
    laptop = await server.request("POST", "/api/v1/auth/login", json={"login": account.username,
                                                                     "password": account.password},
                                  headers={"User-Agent": "Laptop/1.0"})
    listed = await server.request("GET", "/api/v1/me/sessions", token=account.access_token)
    assert listed.status == 200
    by_id = {item["id"]: item for item in listed.body["items"]}
    assert set(by_id) == {account.session_id, laptop.body["sessionId"]}
    assert by_id[account.session_id]["current"] is True
    assert by_id[laptop.body["sessionId"]]["userAgent"] == "Laptop/1.0"

    revoked = await server.request("DELETE", f"/api/v1/me/sessions/{laptop.body['sessionId']}",
                                   token=account.access_token)
    assert revoked.status == 204
    assert (await server.request("GET", "/api/v1/me", token=laptop.body["accessToken"])).status == 401
    listed = await server.request("GET", "/api/v1/me/sessions", token=account.access_token)
    assert [item["id"] for item in listed.body["items"]] == [account.session_id]


async def test_i_cannot_revoke_someone_elses_session(server):
    mine, theirs = await server.account(), await server.account()
    response = await server.request("DELETE", f"/api/v1/me/sessions/{theirs.session_id}", token=mine.access_token)
    assert_problem(response, 404, "not_found")
    assert (await server.request("GET", "/api/v1/me", token=theirs.access_token)).status == 200
