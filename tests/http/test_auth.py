"""Accounts over HTTP: every flow, and every way it can be refused."""

from __future__ import annotations

import asyncpg
import pytest
from argon2 import PasswordHasher

from tests.support.mail import last_mail_token

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


def assert_problem(response, status: int, code: str) -> None:
    assert response.status == status, response.body
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.body["code"] == code
    assert response.body["status"] == status


async def test_register_returns_the_user_and_login_works_by_username_and_email(server):
    created = await server.request("POST", REGISTER, json={
        "email": "Ada@Example.com", "username": "ada", "password": "analytical engine", "displayName": "Ada L"})
    assert created.status == 201
    user = created.body["user"]
    assert user["username"] == "ada" and user["displayName"] == "Ada L" and user["email"] == "Ada@Example.com"
    assert "passwordHash" not in user and "password" not in str(created.body).lower()
    assert user["createdAt"].endswith("Z")

    for login in ("ada", "ADA", "ada@example.com"):
        tokens = await server.request("POST", LOGIN, json={"login": login, "password": "analytical engine"})
        assert tokens.status == 200, login
        assert tokens.body["user"]["id"] == user["id"]
        assert tokens.body["accessToken"] != tokens.body["refreshToken"]
        me = await server.request("GET", "/api/v1/me", token=tokens.body["accessToken"])
        assert me.status == 200 and me.body["user"]["username"] == "ada"


async def test_tokens_are_stored_only_as_digests(server):
    account = await server.account()
    conn = await asyncpg.connect(server.settings.database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM sessions WHERE id = $1::uuid", account.session_id)
        stored = " ".join(str(value) for value in row.values())
        password_hash = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1::uuid", account.id)
    finally:
        await conn.close()
    assert account.access_token not in stored and account.refresh_token not in stored
    assert password_hash.startswith("$argon2id$")


async def test_passwords_are_hashed_at_the_owasp_cost_and_older_hashes_are_replaced_at_sign_in(server):
    account = await server.account()
    conn = await asyncpg.connect(server.settings.database_url)
    try:
        current = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1::uuid", account.id)
        assert current.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        # A hash from before: the library's RFC 9106 low-memory profile, 64 MiB and four lanes.
        old = PasswordHasher(memory_cost=65536, time_cost=3, parallelism=4).hash(account.password)
        await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1::uuid", account.id, old)
        signed_in = await server.request("POST", "/api/v1/auth/login",
                                         json={"login": account.username, "password": account.password})
        assert signed_in.status == 200
        after = await conn.fetchval("SELECT password_hash FROM users WHERE id = $1::uuid", account.id)
    finally:
        await conn.close()
    assert after != old and after.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    again = await server.request("POST", "/api/v1/auth/login",
                                 json={"login": account.username, "password": account.password})
    assert again.status == 200


@pytest.mark.parametrize("taken", [{"username": "Bob"}, {"email": "BOB@example.com"}])
async def test_taken_username_or_email_is_a_conflict(server, taken):
    first = await server.request("POST", REGISTER, json={"email": "bob@example.com", "username": "bob",
                                                         "password": "password one"})
    assert first.status == 201
    body = {"email": "other@example.com", "username": "other", "password": "password two"} | taken
    second = await server.request("POST", REGISTER, json=body)
    assert_problem(second, 409, "conflict")
    assert second.body["details"]["field"] == next(iter(taken))


@pytest.mark.parametrize(("body", "field"), [
    ({"username": "carol", "password": "long enough"}, "email"),
    ({"email": "not-an-email", "username": "carol", "password": "long enough"}, "email"),
    ({"email": "c@example.com" * 30, "username": "carol", "password": "long enough"}, "email"),
    ({"email": 42, "username": "carol", "password": "long enough"}, "email"),
    ({"email": "c@example.com", "password": "long enough"}, "username"),
    ({"email": "c@example.com", "username": "c", "password": "long enough"}, "username"),
    ({"email": "c@example.com", "username": "x" * 33, "password": "long enough"}, "username"),
    ({"email": "c@example.com", "username": "carol smith", "password": "long enough"}, "username"),
    ({"email": "c@example.com", "username": ["carol"], "password": "long enough"}, "username"),
    ({"email": "c@example.com", "username": "carol"}, "password"),
    ({"email": "c@example.com", "username": "carol", "password": "short"}, "password"),
    ({"email": "c@example.com", "username": "carol", "password": "p" * 257}, "password"),
    ({"email": "c@example.com", "username": "carol", "password": None}, "password"),
    ({"email": "c@example.com", "username": "carol", "password": "long enough", "displayName": ""}, "displayName"),
    ({"email": "c@example.com", "username": "carol", "password": "long enough", "displayName": "d" * 81},
     "displayName"),
    ({"email": "c@example.com", "username": "carol", "password": "long enough", "role": "admin"}, "role"),
])
async def test_bad_registration_input_names_the_field_and_creates_nothing(server, body, field):
    response = await server.request("POST", REGISTER, json=body)
    assert_problem(response, 422, "invalid")
    assert field in response.body["errors"], response.body
    login = await server.request("POST", LOGIN, json={"login": "carol", "password": "long enough"})
    assert login.status == 401


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"text"', b"null"])
async def test_a_body_that_is_not_a_json_object_is_invalid(server, raw):
    response = await server.request("POST", REGISTER, data=raw, headers={"Content-Type": "application/json"})
    assert_problem(response, 422, "invalid")


async def test_an_oversized_body_is_refused(server):
    response = await server.request("POST", REGISTER, json={"email": "x@example.com", "username": "big",
                                                            "password": "p" * (2 << 20)})
    assert_problem(response, 413, "payload_too_large")


async def test_wrong_password_and_unknown_user_get_the_same_answer(server):
    account = await server.account()
    wrong = await server.request("POST", LOGIN, json={"login": account.username, "password": "not it at all"})
    unknown = await server.request("POST", LOGIN, json={"login": "nobody-here", "password": "not it at all"})
    unknown_email = await server.request("POST", LOGIN, json={"login": "nobody@example.com", "password": "x"})
    for response in (wrong, unknown, unknown_email):
        assert_problem(response, 401, "unauthorized")
    assert wrong.body == unknown.body == unknown_email.body


async def test_refresh_rotates_and_the_old_tokens_stop_working(server):
    account = await server.account()
    rotated = await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token})
    assert rotated.status == 200
    assert rotated.body["sessionId"] == account.session_id
    assert rotated.body["refreshToken"] != account.refresh_token
    assert rotated.body["accessToken"] != account.access_token
    assert (await server.request("GET", "/api/v1/me", token=account.access_token)).status == 401
    assert (await server.request("GET", "/api/v1/me", token=rotated.body["accessToken"])).status == 200


async def test_a_reused_refresh_token_revokes_the_whole_session(server):
    account = await server.account()
    rotated = await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token})
    assert rotated.status == 200
    reused = await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token})
    assert_problem(reused, 401, "unauthorized")
    # The thief's copy and the rightful holder's new tokens are both dead now.
    assert (await server.request("GET", "/api/v1/me", token=rotated.body["accessToken"])).status == 401
    again = await server.request("POST", REFRESH, json={"refreshToken": rotated.body["refreshToken"]})
    assert_problem(again, 401, "unauthorized")


async def test_unknown_refresh_token_is_unauthorized(server):
    assert_problem(await server.request("POST", REFRESH, json={"refreshToken": "made-up"}), 401, "unauthorized")
    assert_problem(await server.request("POST", REFRESH, json={}), 422, "invalid")


async def _expire(server, column: str, session_id: str) -> None:
    conn = await asyncpg.connect(server.settings.database_url)
    try:
        await conn.execute(f"UPDATE sessions SET {column} = now() - interval '1 second' WHERE id = $1::uuid",
                           session_id)
    finally:
        await conn.close()


async def test_an_expired_access_token_is_refused_but_refresh_still_works(server):
    account = await server.account()
    await _expire(server, "access_expires_at", account.session_id)
    assert_problem(await server.request("GET", "/api/v1/me", token=account.access_token), 401, "unauthorized")
    rotated = await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token})
    assert rotated.status == 200
    assert (await server.request("GET", "/api/v1/me", token=rotated.body["accessToken"])).status == 200


async def test_an_expired_session_refuses_refresh(server):
    account = await server.account()
    await _expire(server, "expires_at", account.session_id)
    assert_problem(await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token}),
                   401, "unauthorized")
    assert (await server.request("GET", "/api/v1/me", token=account.access_token)).status == 401


async def test_logout_revokes_the_session(server):
    account = await server.account()
    other_device = await server.request("POST", LOGIN, json={"login": account.username, "password": account.password})
    assert (await server.request("POST", LOGOUT, token=account.access_token)).status == 204
    assert (await server.request("GET", "/api/v1/me", token=account.access_token)).status == 401
    assert (await server.request("POST", REFRESH, json={"refreshToken": account.refresh_token})).status == 401
    # Only that device is signed out.
    assert (await server.request("GET", "/api/v1/me", token=other_device.body["accessToken"])).status == 200
    assert_problem(await server.request("POST", LOGOUT), 401, "unauthorized")


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-token",
                                    "Bearer " + "x" * 300])
async def test_bad_authorization_headers_are_unauthorized(server, header):
    response = await server.request("GET", "/api/v1/me", headers={"Authorization": header} if header else {})
    assert_problem(response, 401, "unauthorized")


async def test_password_reset_round_trip(server):
    account = await server.account()
    other_device = await server.request("POST", LOGIN, json={"login": account.username, "password": account.password})
    asked = await server.request("POST", "/api/v1/auth/password-reset", json={"email": account.email.upper()})
    assert asked.status == 202
    token = last_mail_token(server.outbox, account.email)

    confirmed = await server.request("POST", "/api/v1/auth/password-reset/confirm",
                                     json={"token": token, "password": "a brand new secret"})
    assert confirmed.status == 200
    old = await server.request("POST", LOGIN, json={"login": account.username, "password": account.password})
    assert old.status == 401
    new = await server.request("POST", LOGIN, json={"login": account.username, "password": "a brand new secret"})
    assert new.status == 200
    # Every device that knew the old password is signed out.
    for token_before in (account.access_token, other_device.body["accessToken"]):
        assert (await server.request("GET", "/api/v1/me", token=token_before)).status == 401

    reused = await server.request("POST", "/api/v1/auth/password-reset/confirm",
                                  json={"token": token, "password": "yet another secret"})
    assert_problem(reused, 422, "invalid")
    assert "token" in reused.body["errors"]


async def test_password_reset_answers_the_same_for_an_unknown_email_and_mails_nothing(server):
    account = await server.account()
    known = await server.request("POST", "/api/v1/auth/password-reset", json={"email": account.email})
    unknown = await server.request("POST", "/api/v1/auth/password-reset", json={"email": "ghost@example.com"})
    assert known.status == unknown.status == 202
    assert known.body == unknown.body
    mails = list(server.outbox.glob("*.eml"))
    assert len(mails) == 1 and "ghost@example.com" not in mails[0].read_text()


async def test_an_expired_reset_token_is_refused(server):
    account = await server.account()
    await server.request("POST", "/api/v1/auth/password-reset", json={"email": account.email})
    token = last_mail_token(server.outbox, account.email)
    conn = await asyncpg.connect(server.settings.database_url)
    try:
        await conn.execute("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second'")
    finally:
        await conn.close()
    response = await server.request("POST", "/api/v1/auth/password-reset/confirm",
                                    json={"token": token, "password": "a brand new secret"})
    assert_problem(response, 422, "invalid")
    still = await server.request("POST", LOGIN, json={"login": account.username, "password": account.password})
    assert still.status == 200


async def test_reset_confirm_with_a_short_password_changes_nothing(server):
    account = await server.account()
    await server.request("POST", "/api/v1/auth/password-reset", json={"email": account.email})
    token = last_mail_token(server.outbox, account.email)
    response = await server.request("POST", "/api/v1/auth/password-reset/confirm",
                                    json={"token": token, "password": "short"})
    assert_problem(response, 422, "invalid")
    assert "password" in response.body["errors"]
    # The token was not spent by the failed attempt.
    ok = await server.request("POST", "/api/v1/auth/password-reset/confirm",
                              json={"token": token, "password": "long enough now"})
    assert ok.status == 200


@pytest.mark.settings(RATE_LIMIT_AUTH="3/60")
async def test_sign_in_attempts_are_rate_limited_per_address_and_account(server):
    account = await server.account()  # one sign-in spent
    attempts = [await server.request("POST", LOGIN, json={"login": account.username, "password": "guess"})
                for _ in range(3)]
    assert [a.status for a in attempts] == [401, 401, 429]
    assert attempts[-1].body["code"] == "rate_limited" and int(attempts[-1].headers["Retry-After"]) >= 1
    # Another account from the same address is not locked out by it.
    other = await server.request("POST", LOGIN, json={"login": "someone-else", "password": "guess"})
    assert other.status == 401
