"""SmileFactory AI conversations (built on the AI chats): status, token counts and response times,
preferences, context with an expiry, and ratings; replies from a fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chatserver import periodic
from chatserver.actions import smilefactory_ai
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem
from tests.support.fake_ai import fake_ai_server
from tests.support.roles import sql
from tests.support.server import start_server, stop_server

V1 = "/api/v1"


@pytest.fixture
async def fake_ai():
    async with fake_ai_server() as fake:
        yield fake


@pytest.fixture
async def ai_server(settings, fake_ai):
    running = await start_server(dataclasses.replace(settings, ai_base_url=fake_ai.url))
    yield running
    await stop_server(running)


def _at(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _chat(server, account, **extra):
    created = await server.request("POST", f"{V1}/ai-chats", token=account.access_token,
                                   json={"title": "Help me", **extra})
    assert created.status == 201, created.body
    return created.body


async def _say(server, account, chat_id, text="hello"):
    return await server.request("POST", f"{V1}/ai-chats/{chat_id}/messages", token=account.access_token,
                                json={"content": text})


async def _context(server, account, key, value, expires_at=None):
    created = await server.request("POST", f"{V1}/ai-context", token=account.access_token, json={
        "contextType": "profile", "contextKey": key, "contextValue": value, "expiresAt": expires_at})
    assert created.status == 201, created.body
    return created.body


async def test_a_reply_records_the_endpoints_token_count_and_its_response_time(ai_server):
    alice = await ai_server.account()
    chat = await _chat(ai_server, alice)
    assert chat["status"] == "active" and chat["totalTokens"] == 0
    for text in ("one", "two"):
        exchange = await _say(ai_server, alice, chat["id"], text)
        assert exchange.status == 201, exchange.body
    assert exchange.body["reply"]["tokensUsed"] == 15  # the fake's usage.total_tokens
    assert exchange.body["reply"]["responseTimeMs"] >= 0
    assert exchange.body["message"]["tokensUsed"] is None and exchange.body["message"]["responseTimeMs"] is None
    shown = await ai_server.request("GET", f"{V1}/ai-chats/{chat['id']}", token=alice.access_token)
    assert shown.body["totalTokens"] == 30
    history = await ai_server.request("GET", f"{V1}/ai-chats/{chat['id']}/messages", token=alice.access_token)
    assert [m["tokensUsed"] for m in history.body["items"]] == [None, 15, None, 15]


async def test_sessions_are_their_owners_and_only_an_active_one_takes_messages(ai_server, fake_ai):
    alice, bob = await ai_server.account(), await ai_server.account()
    chat = await _chat(ai_server, alice)
    path = f"{V1}/ai-chats/{chat['id']}"
    listed = await ai_server.request("GET", f"{V1}/ai-chats?limit=10", token=bob.access_token)
    assert listed.body["items"] == []
    assert_problem(await ai_server.request("GET", path, token=bob.access_token), 404, "not_found")
    assert_problem(await ai_server.request("DELETE", path, token=bob.access_token), 404, "not_found")
    assert_problem(await ai_server.request("PATCH", path, token=alice.access_token, json={"status": "paused"}),
                   422, "invalid")

    done = await ai_server.request("PATCH", path, token=alice.access_token, json={"status": "completed"})
    assert done.status == 200 and done.body["status"] == "completed"
    calls = len(fake_ai.calls)
    assert_problem(await _say(ai_server, alice, chat["id"]), 409, "conflict")
    assert len(fake_ai.calls) == calls  # the endpoint was not asked
    assert (await ai_server.request("PATCH", path, token=alice.access_token, json={"status": "active"})).status == 200
    assert (await _say(ai_server, alice, chat["id"])).status == 201

    assert (await ai_server.request("DELETE", path, token=alice.access_token)).status == 204
    assert_problem(await ai_server.request("GET", path, token=alice.access_token), 404, "not_found")


async def test_preferences_are_your_own_and_shape_the_prompt(ai_server, fake_ai):
    alice, bob = await ai_server.account(), await ai_server.account()
    defaults = await ai_server.request("GET", f"{V1}/ai-preferences", token=alice.access_token)
    assert defaults.body == {"aiEnabled": True, "preferredResponseStyle": "balanced",
                             "contextAwarenessLevel": "full", "quickRepliesEnabled": True,
                             "profileAssistanceEnabled": True, "updatedAt": None}
    assert_problem(await ai_server.request("PUT", f"{V1}/ai-preferences", token=alice.access_token,
                                           json={"preferredResponseStyle": "rambling"}), 422, "invalid")
    concise = await ai_server.request("PUT", f"{V1}/ai-preferences", token=alice.access_token,
                                      json={"preferredResponseStyle": "concise"})
    assert concise.status == 200 and concise.body["preferredResponseStyle"] == "concise"
    assert concise.body["contextAwarenessLevel"] == "full" and concise.body["updatedAt"] is not None
    bobs = await ai_server.request("GET", f"{V1}/ai-preferences", token=bob.access_token)
    assert bobs.body["preferredResponseStyle"] == "balanced"

    chat = await _chat(ai_server, alice)
    assert (await _say(ai_server, alice, chat["id"], "hi")).status == 201
    _, request = fake_ai.calls[-1]
    assert request["messages"][0] == {"role": "system", "content": "Answer briefly."}

    off = await ai_server.request("PUT", f"{V1}/ai-preferences", token=alice.access_token,
                                  json={"aiEnabled": False})
    assert off.body["aiEnabled"] is False and off.body["preferredResponseStyle"] == "concise"
    calls = len(fake_ai.calls)
    assert_problem(await _say(ai_server, alice, chat["id"]), 409, "conflict")
    assert len(fake_ai.calls) == calls


async def test_only_unexpired_context_is_sent_to_the_endpoint(ai_server, fake_ai):
    alice, bob = await ai_server.account(), await ai_server.account()
    await _context(ai_server, alice, "job", "baker", expires_at=_at(hours=1))
    await _context(ai_server, alice, "city", "Lyon")
    old = await _context(ai_server, alice, "hobby", "chess", expires_at=_at(seconds=-1))
    assert_problem(await ai_server.request("POST", f"{V1}/ai-context", token=alice.access_token, json={
        "contextType": "mood", "contextKey": "k", "contextValue": "v"}), 422, "invalid")
    assert_problem(await ai_server.request("GET", f"{V1}/ai-context/{old['id']}", token=bob.access_token),
                   404, "not_found")
    assert (await ai_server.request("GET", f"{V1}/ai-context", token=bob.access_token)).body["items"] == []

    chat = await _chat(ai_server, alice)
    assert (await _say(ai_server, alice, chat["id"], "what should I do?")).status == 201
    _, request = fake_ai.calls[-1]
    system = request["messages"][0]
    assert system["role"] == "system"
    assert "baker" in system["content"] and "Lyon" in system["content"]
    assert "chess" not in str(request)

    # At the minimal context level the model is told nothing about the user.
    await ai_server.request("PUT", f"{V1}/ai-preferences", token=alice.access_token,
                            json={"contextAwarenessLevel": "minimal"})
    assert (await _say(ai_server, alice, chat["id"], "and now?")).status == 201
    _, request = fake_ai.calls[-1]
    assert all(m["role"] != "system" for m in request["messages"])


async def test_the_purge_task_deletes_only_expired_context(ai_server):
    assert smilefactory_ai.purge_expired_context in periodic.PERIODIC_TASKS
    alice = await ai_server.account()
    expired = [await _context(ai_server, alice, f"old{i}", "x", expires_at=_at(seconds=-5)) for i in range(3)]
    later = await _context(ai_server, alice, "soon", "y", expires_at=_at(hours=1))
    never = await _context(ai_server, alice, "always", "z")
    svc = ai_server.app[SERVICES]
    assert await smilefactory_ai.purge_expired_context(svc, batch_size=2) == 3
    rows = await sql(ai_server, "SELECT id::text FROM ai_context_data WHERE user_id = $1", uuid.UUID(alice.id))
    assert sorted(row["id"] for row in rows) == sorted([later["id"], never["id"]])
    assert await smilefactory_ai.purge_expired_context(svc) == 0  # idempotent
    assert_problem(await ai_server.request("GET", f"{V1}/ai-context/{expired[0]['id']}",
                                           token=alice.access_token), 404, "not_found")

    await sql(ai_server, "UPDATE ai_context_data SET expires_at = now() - interval '1 second' WHERE id = $1",
              uuid.UUID(later["id"]))
    await periodic.run_once(svc)
    rows = await sql(ai_server, "SELECT id::text FROM ai_context_data WHERE user_id = $1", uuid.UUID(alice.id))
    assert [row["id"] for row in rows] == [never["id"]]


async def test_a_chat_has_one_rating_from_its_owner_and_rating_again_replaces_it(ai_server):
    alice, bob = await ai_server.account(), await ai_server.account()
    chat = await _chat(ai_server, alice, visibility="public")
    path = f"{V1}/ai-chats/{chat['id']}/rating"
    assert_problem(await ai_server.request("GET", path, token=alice.access_token), 404, "not_found")
    for bad in (0, 6, "five"):
        assert_problem(await ai_server.request("PUT", path, token=alice.access_token, json={"rating": bad}),
                       422, "invalid")
    # Even a public chat is rated by its owner only.
    assert_problem(await ai_server.request("PUT", path, token=bob.access_token, json={"rating": 5}), 404, "not_found")
    assert_problem(await ai_server.request("PUT", f"{V1}/ai-chats/{uuid.uuid4()}/rating", token=alice.access_token,
                                           json={"rating": 5}), 404, "not_found")

    first = await ai_server.request("PUT", path, token=alice.access_token, json={"rating": 2})
    assert first.status == 200 and first.body["rating"] == 2
    again = await ai_server.request("PUT", path, token=alice.access_token, json={"rating": 5})
    assert again.body["rating"] == 5
    assert (await ai_server.request("GET", path, token=alice.access_token)).body["rating"] == 5
    rows = await sql(ai_server, "SELECT rating FROM ai_ratings WHERE chat_id = $1", uuid.UUID(chat["id"]))
    assert [row["rating"] for row in rows] == [5]


async def test_many_ratings_at_once_leave_one(ai_server):
    alice = await ai_server.account()
    chat = await _chat(ai_server, alice)
    path = f"{V1}/ai-chats/{chat['id']}/rating"
    answers = await asyncio.gather(*(ai_server.request("PUT", path, token=alice.access_token,
                                                       json={"rating": 1 + n % 5}) for n in range(20)))
    assert all(answer.status == 200 for answer in answers)
    rows = await sql(ai_server, "SELECT rating FROM ai_ratings WHERE chat_id = $1", uuid.UUID(chat["id"]))
    assert len(rows) == 1
