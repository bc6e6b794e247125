"""AI chats: replies from an OpenAI-compatible endpoint, 7 messages a day, votes."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from tests.http.test_auth import assert_problem
from tests.support.fake_ai import fake_ai_server
from tests.support.roles import sql
from tests.support.server import start_server, stop_server

V1 = "/api/v1"
API_KEY = "sk-test-never-shown"


@pytest.fixture
async def fake_ai():
    async with fake_ai_server() as fake:
        yield fake


@pytest.fixture
async def ai_server(settings, fake_ai):
    running = await start_server(dataclasses.replace(settings, ai_base_url=fake_ai.url, ai_api_key=API_KEY,
                                                     ai_model="test-model"))
    yield running
    await stop_server(running)


async def _chat(server, account, **extra):
    created = await server.request("POST", f"{V1}/ai-chats", token=account.access_token,
                                   json={"title": "Career advice", **extra})
    assert created.status == 201, created.body
    return created.body


async def _say(server, account, chat_id, text):
    return await server.request("POST", f"{V1}/ai-chats/{chat_id}/messages", token=account.access_token,
                                json={"content": text})


async def test_replies_come_from_the_endpoint_and_the_eighth_message_of_a_day_is_refused(ai_server, fake_ai):
    alice = await ai_server.account()
    chat = await _chat(ai_server, alice)
    for n in range(7):
        exchange = await _say(ai_server, alice, chat["id"], f"question {n}")
        assert exchange.status == 201, exchange.body
        assert exchange.body["reply"]["parts"] == [{"type": "text", "text": f"echo: question {n}"}]
        assert exchange.body["messagesLeftToday"] == 6 - n
    eighth = await _say(ai_server, alice, chat["id"], "one more")
    assert_problem(eighth, 429, "limit_reached")
    assert eighth.body["details"]["limit"] == 7
    history = await ai_server.request("GET", f"{V1}/ai-chats/{chat['id']}/messages?limit=100",
                                      token=alice.access_token)
    assert len(history.body["items"]) == 14
    assert [m["role"] for m in history.body["items"][:2]] == ["user", "assistant"]

    authorization, request = fake_ai.calls[-1]
    assert authorization == f"Bearer {API_KEY}" and request["model"] == "test-model"
    assert request["messages"][-1] == {"role": "user", "content": "question 6"}
    assert len(request["messages"]) == 13  # the conversation so far is the context
    assert API_KEY not in str(eighth.body) and API_KEY not in str(history.body)

    # Another user has their own seven; a new UTC day starts the count over.
    bob = await ai_server.account()
    assert (await _say(ai_server, bob, (await _chat(ai_server, bob))["id"], "hi")).status == 201
    await sql(ai_server, "UPDATE users SET last_message_reset_date = last_message_reset_date - 1 WHERE id = $1",
              uuid.UUID(alice.id))
    next_day = await _say(ai_server, alice, chat["id"], "good morning")
    assert next_day.status == 201 and next_day.body["messagesLeftToday"] == 6


async def test_a_failing_endpoint_is_unavailable_and_costs_nothing(ai_server):
    alice = await ai_server.account()
    chat = await _chat(ai_server, alice)
    assert_problem(await _say(ai_server, alice, chat["id"], "fail"), 503, "unavailable")
    history = await ai_server.request("GET", f"{V1}/ai-chats/{chat['id']}/messages", token=alice.access_token)
    assert history.body["items"] == []
    count = await sql(ai_server, "SELECT daily_message_count FROM users WHERE id = $1", uuid.UUID(alice.id))
    assert count[0]["daily_message_count"] == 0


async def test_without_an_endpoint_ai_chat_is_unavailable(server):
    alice = await server.account()
    chat = await _chat(server, alice)
    assert_problem(await _say(server, alice, chat["id"], "hello?"), 503, "unavailable")


async def test_ownership_is_checked_before_availability(server):
    # Without an AI endpoint, someone else's chat is still 404 (private) or 403 (public), never 503.
    alice, bob = await server.account(), await server.account()
    private, public = await _chat(server, alice), await _chat(server, alice, visibility="public")
    assert_problem(await _say(server, bob, private["id"], "hi"), 404, "not_found")
    assert_problem(await _say(server, bob, public["id"], "hi"), 403, "forbidden")
    assert_problem(await _say(server, bob, str(uuid.uuid4()), "hi"), 404, "not_found")


async def test_private_chats_and_votes_belong_to_their_owner(ai_server):
    alice, bob = await ai_server.account(), await ai_server.account()
    private = await _chat(ai_server, alice)
    public = await _chat(ai_server, alice, title="Open chat", visibility="public")
    exchange = (await _say(ai_server, alice, public["id"], "hello")).body
    reply_id = exchange["reply"]["id"]

    assert_problem(await ai_server.request("GET", f"{V1}/ai-chats/{private['id']}", token=bob.access_token), 404,
                   "not_found")
    assert_problem(await ai_server.request("GET", f"{V1}/ai-chats/{private['id']}/messages", token=bob.access_token),
                   404, "not_found")
    listed = await ai_server.request("GET", f"{V1}/ai-chats", token=bob.access_token)
    assert [c["id"] for c in listed.body["items"]] == [public["id"]]
    readable = await ai_server.request("GET", f"{V1}/ai-chats/{public['id']}/messages", token=bob.access_token)
    assert len(readable.body["items"]) == 2
    assert_problem(await _say(ai_server, bob, public["id"], "me too"), 403, "forbidden")
    vote_path = f"{V1}/ai-chats/{public['id']}/votes/{reply_id}"
    assert_problem(await ai_server.request("PUT", vote_path, token=bob.access_token, json={"isUpvoted": True}),
                   403, "forbidden")
    assert_problem(await ai_server.request("PATCH", f"{V1}/ai-chats/{public['id']}", token=bob.access_token,
                                           json={"title": "mine"}), 403, "forbidden")

    up = await ai_server.request("PUT", vote_path, token=alice.access_token, json={"isUpvoted": True})
    assert up.body == {"chatId": public["id"], "messageId": reply_id, "isUpvoted": True}
    down = await ai_server.request("PUT", vote_path, token=alice.access_token, json={"isUpvoted": False})
    assert down.body["isUpvoted"] is False
    votes = await ai_server.request("GET", f"{V1}/ai-chats/{public['id']}/votes", token=bob.access_token)
    assert votes.body["items"] == [down.body]
    # A message of another chat cannot be voted on through this one.
    assert_problem(await ai_server.request("PUT", f"{V1}/ai-chats/{private['id']}/votes/{reply_id}",
                                           token=alice.access_token, json={"isUpvoted": True}), 404, "not_found")
    assert (await ai_server.request("DELETE", vote_path, token=alice.access_token)).status == 204
    assert_problem(await ai_server.request("DELETE", vote_path, token=alice.access_token), 404, "not_found")
