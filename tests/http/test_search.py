"""Message search: full-text over what the caller may read, with filters and cursor pages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import pytest

from tests.support.chat import nonce, workspace_with_channel
from tests.support.server import Account, RunningServer

WORD = "pineapple"


async def post(server: RunningServer, account: Account, path: str, content: str) -> dict:
    """Post to /channels/{id}/messages or /conversations/{id}/messages; the stored message."""
    response = await server.request("POST", f"/api/v1/{path}/messages", token=account.access_token,
                                    json={"content": content, "nonce": nonce()})
    assert response.status == 201, response.body
    return response.body["message"]


async def search(server: RunningServer, account: Account, **query) -> dict:
    response = await server.request("GET", f"/api/v1/search/messages?{urlencode(query)}",
                                    token=account.access_token)
    assert response.status == 200, response.body
    return response.body


def contents(results: dict) -> set[str]:
    return {message["content"] for message in results["items"]}


@dataclass
class World:
    """bob's view: he is in `general` (workspace one) and `random` (workspace two), and talks to alice.

    Everything else holding the word is out of his reach: a private channel in his own workspace,
    a public channel he did not join, and alice's conversation with carol.
    """

    alice: Account
    bob: Account
    carol: Account
    workspace_one: str
    workspace_two: str
    general: str
    random: str


@pytest.fixture
async def world(server) -> World:
    alice, bob, carol = [await server.account(name) for name in ("alice", "bob", "carol")]
    one = await workspace_with_channel(server, alice, bob, carol, name="general")
    two = await workspace_with_channel(server, carol, bob, name="random")

    secret = await server.request("POST", f"/api/v1/workspaces/{one.workspace['id']}/channels",
                                  token=alice.access_token, json={"name": "secret", "isPrivate": True})
    assert secret.status == 201, secret.body
    secret_id = secret.body["channel"]["id"]
    added = await server.request("POST", f"/api/v1/channels/{secret_id}/members", token=alice.access_token,
                                 json={"userId": carol.id})
    assert added.status == 201, added.body
    unjoined = await server.request("POST", f"/api/v1/workspaces/{one.workspace['id']}/channels",
                                    token=carol.access_token, json={"name": "unjoined"})
    assert unjoined.status == 201, unjoined.body

    alice_bob = await server.request("POST", "/api/v1/conversations", token=alice.access_token,
                                     json={"userId": bob.id})
    alice_carol = await server.request("POST", "/api/v1/conversations", token=alice.access_token,
                                       json={"userId": carol.id})

    await post(server, alice, f"channels/{one.channel_id}", f"general: {WORD} for lunch")
    await post(server, carol, f"channels/{two.channel_id}", f"random: a {WORD} pizza")
    await post(server, alice, f"channels/{secret_id}", f"secret: the {WORD} plan")
    await post(server, carol, f"channels/{unjoined.body['channel']['id']}", f"unjoined: {WORD} again")
    await post(server, alice, f"conversations/{alice_bob.body['conversation']['id']}", f"dm bob: {WORD}?")
    await post(server, alice, f"conversations/{alice_carol.body['conversation']['id']}", f"dm carol: {WORD}!")
    await post(server, alice, f"channels/{one.channel_id}", "general: nothing to see here")
    return World(alice, bob, carol, one.workspace["id"], two.workspace["id"], one.channel_id, two.channel_id)


async def test_finds_messages_in_the_callers_channels_and_direct_conversations_only(server, world):
    results = await search(server, world.bob, q=WORD)
    assert contents(results) == {f"general: {WORD} for lunch", f"random: a {WORD} pizza", f"dm bob: {WORD}?"}
    assert results["nextCursor"] is None
    # The answer is the whole message, the same shape as everywhere else.
    found = next(m for m in results["items"] if m["channelId"] == world.general)
    message = await server.request("GET", f"/api/v1/messages/{found['id']}", token=world.bob.access_token)
    assert found == message.body["message"]


async def test_others_find_what_they_may_read_and_not_bobs_conversation(server, world):
    carol = contents(await search(server, world.carol, q=WORD))
    assert carol == {f"general: {WORD} for lunch", f"random: a {WORD} pizza", f"secret: the {WORD} plan",
                     f"unjoined: {WORD} again", f"dm carol: {WORD}!"}


async def test_newest_first_and_case_insensitive(server, world):
    results = await search(server, world.bob, q=WORD.upper())
    created = [message["createdAt"] for message in results["items"]]
    assert len(created) == 3 and created == sorted(created, reverse=True)


async def test_filters_by_workspace_and_by_channel(server, world):
    in_one = await search(server, world.bob, q=WORD, workspaceId=world.workspace_one)
    assert contents(in_one) == {f"general: {WORD} for lunch"}  # direct messages belong to no workspace
    in_two = await search(server, world.bob, q=WORD, workspaceId=world.workspace_two)
    assert contents(in_two) == {f"random: a {WORD} pizza"}
    in_random = await search(server, world.bob, q=WORD, channelId=world.random)
    assert contents(in_random) == {f"random: a {WORD} pizza"}
    both = await search(server, world.bob, q=WORD, workspaceId=world.workspace_one, channelId=world.random)
    assert both["items"] == []


async def test_a_filter_on_a_channel_the_caller_is_not_in_finds_nothing(server, world):
    channels = await server.request("GET", f"/api/v1/workspaces/{world.workspace_one}/channels",
                                    token=world.carol.access_token)
    for channel in channels.body["items"]:
        if channel["name"] in ("secret", "unjoined"):
            results = await search(server, world.bob, q=WORD, channelId=channel["id"])
            assert results["items"] == [], channel["name"]


async def test_leaving_a_channel_stops_finding_its_messages(server, world):
    left = await server.request("DELETE", f"/api/v1/channels/{world.random}/members/{world.bob.id}",
                                token=world.bob.access_token)
    assert left.status == 204, left.body
    assert f"random: a {WORD} pizza" not in contents(await search(server, world.bob, q=WORD))


async def test_deleted_messages_are_not_found_and_edits_are_searched_as_they_are_now(server, world):
    doomed = await post(server, world.bob, f"channels/{world.general}", "mango to delete")
    edited = await post(server, world.bob, f"channels/{world.general}", "mango before the edit")
    deleted = await server.request("DELETE", f"/api/v1/messages/{doomed['id']}", token=world.bob.access_token)
    assert deleted.status == 200, deleted.body
    patched = await server.request("PATCH", f"/api/v1/messages/{edited['id']}", token=world.bob.access_token,
                                   json={"content": "kiwi after the edit", "version": 1})
    assert patched.status == 200, patched.body

    assert (await search(server, world.bob, q="mango"))["items"] == []
    assert [m["id"] for m in (await search(server, world.bob, q="kiwi"))["items"]] == [edited["id"]]


async def test_pages_with_a_cursor_until_there_is_no_next_one(server, world):
    sent = [await post(server, world.alice, f"channels/{world.general}", f"papaya number {i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"q": "papaya", "limit": 2, **({"cursor": cursor} if cursor else {})}
        results = await search(server, world.bob, **query)
        pages += 1
        assert len(results["items"]) <= 2
        seen.extend(message["id"] for message in results["items"])
        cursor = results["nextCursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [message["id"] for message in reversed(sent)]  # newest first, each exactly once


async def test_a_phrase_query_matches_the_words_in_order(server, world):
    await post(server, world.alice, f"channels/{world.general}", "the quarterly report is late")
    await post(server, world.alice, f"channels/{world.general}", "report: quarterly numbers")
    results = await search(server, world.bob, q='"quarterly report"')
    assert contents(results) == {"the quarterly report is late"}


async def test_a_word_nobody_wrote_finds_nothing(server, world):
    assert await search(server, world.bob, q="durian") == {"items": [], "nextCursor": None}


@pytest.mark.parametrize("query", [{"q": ""}, {"q": "   "}, {}, {"q": "x" * 201}, {"q": WORD, "limit": 0},
                                   {"q": WORD, "cursor": "not-a-cursor"}, {"q": WORD, "channelId": "nope"}])
async def test_bad_queries_are_422_invalid(server, world, query):
    response = await server.request("GET", f"/api/v1/search/messages?{urlencode(query)}",
                                    token=world.bob.access_token)
    assert response.status == 422, response.body
    assert response.body["code"] == "invalid"


async def test_search_needs_a_signed_in_user(server):
    response = await server.request("GET", f"/api/v1/search/messages?q={WORD}")
    assert response.status == 401 and response.body["code"] == "unauthorized"


async def test_a_nul_character_in_the_query_is_422_invalid(server, world):
    query = urlencode({"q": "pine\x00apple"})
    response = await server.request("GET", f"/api/v1/search/messages?{query}", token=world.bob.access_token)
    assert response.status == 422, response.body
