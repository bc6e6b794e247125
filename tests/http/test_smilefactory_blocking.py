"""SmileFactory blocking: a block hides each side's profile, posts, comments and events from the other,
refuses connection requests, connection messages and direct messages both ways (over HTTP and over
real Socket.IO clients, through the group commit too), and unblocking restores nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.http.test_auth import assert_problem
from tests.support.chat import connect, nonce, send, workspace_with_channel

V1 = "/api/v1"
REFUSED = "one of you has blocked the other"


async def _block(server, blocker, blocked, method="PUT"):
    return await server.request(method, f"{V1}/users/{blocked.id}/block", token=blocker.access_token)


async def _connect(server, one, other):
    asked = await server.request("POST", f"{V1}/connections", token=one.access_token, json={"receiverId": other.id})
    assert asked.status == 201, asked.body
    accepted = await server.request("POST", f"{V1}/connections/{asked.body['id']}/accept", token=other.access_token)
    assert accepted.body["status"] == "accepted"
    return accepted.body


async def _created(server, account, path, body):
    created = await server.request("POST", f"{V1}{path}", token=account.access_token, json=body)
    assert created.status == 201, created.body
    return created.body


async def _event(server, organizer, **extra):
    starts = datetime.now(UTC) + timedelta(days=2)
    return await _created(server, organizer, "/events", {
        "title": "Founders breakfast", "eventType": "networking", "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(), "location": "Innovation Hub", "status": "published",
        **extra})


async def _ids(server, account, path):
    listed = await server.request("GET", f"{V1}{path}", token=account.access_token)
    assert listed.status == 200, listed.body
    return {item["id"] for item in listed.body["items"]}


def _refused(response, status=403, code="forbidden"):
    assert_problem(response, status, code)
    assert REFUSED in response.body["detail"], response.body


async def _what_each_sees(server, viewer, content):
    """For each of `content`'s things (name -> (path of one, path of its list, id)): can `viewer` open it, list it."""
    seen = {}
    for name, (path, listing, thing_id) in content.items():
        one = await server.request("GET", f"{V1}{path}", token=viewer.access_token)
        assert one.status in (200, 404), one.body
        seen[name] = (one.status == 200, thing_id in await _ids(server, viewer, listing))
    return seen


async def test_a_block_hides_profiles_posts_comments_and_events_both_ways_and_unblocking_shows_them_again(server):
    alice, bob, carol = await server.account(), await server.account(), await server.account()
    # Alice's connections-only post: hidden by the block even though they are connected.
    await _connect(server, alice, bob)
    content = {}
    for author in (alice, bob):
        post = await _created(server, author, "/posts", {"title": "Seed round open", "content": "Looking for angels",
                                                         "visibility": "connections"})
        public = await _created(server, author, "/posts", {"title": "Seed round news", "content": "Angels wanted"})
        thread = await _created(server, carol, "/posts", {"content": f"Carol asks {author.username}"})
        comment = await _created(server, author, f"/posts/{thread['id']}/comments", {"content": "count me in"})
        event = await _event(server, author)
        content[author.id] = {
            "profile": (f"/users/{author.id}", f"/posts?authorId={author.id}", public["id"]),
            "post": (f"/posts/{post['id']}", "/posts", post["id"]),
            "public post": (f"/posts/{public['id']}", "/posts/search?q=angels", public["id"]),
            "comment": (f"/comments/{comment['id']}", f"/posts/{thread['id']}/comments", comment["id"]),
            "event": (f"/events/{event['id']}", "/events", event["id"]),
        }
    everything = {name: (True, True) for name in content[alice.id]}
    assert await _what_each_sees(server, bob, content[alice.id]) == everything
    assert await _what_each_sees(server, alice, content[bob.id]) == everything

    blocked = await _block(server, alice, bob)
    assert blocked.status == 200, blocked.body
    assert (blocked.body["senderId"], blocked.body["receiverId"], blocked.body["status"]) == (alice.id, bob.id,
                                                                                               "blocked")
    nothing = {name: (False, False) for name in content[alice.id]}
    assert await _what_each_sees(server, bob, content[alice.id]) == nothing
    assert await _what_each_sees(server, alice, content[bob.id]) == nothing  # the blocker does not see them either
    assert_problem(await server.request("GET", f"{V1}/users/{alice.id}", token=bob.access_token), 404, "not_found")
    # Not a third party: Carol sees both, and both still see themselves.
    assert await _what_each_sees(server, carol, content[alice.id]) == {**everything, "post": (False, False)}
    assert await _what_each_sees(server, alice, content[alice.id]) == everything
    # Nor what the blocked side may not reach: liking or commenting on a hidden post.
    hidden_post = content[alice.id]["public post"][2]
    assert_problem(await server.request("PUT", f"{V1}/posts/{hidden_post}/like", token=bob.access_token), 404,
                   "not_found")
    assert_problem(await server.request("POST", f"{V1}/posts/{hidden_post}/comments", token=bob.access_token,
                                        json={"content": "hello?"}), 404, "not_found")

    assert (await _block(server, alice, bob, "DELETE")).status == 204
    seen_again = await _what_each_sees(server, bob, content[alice.id])
    # Public things are back; the connections-only post is not: the connection the block replaced is gone.
    assert seen_again == {**everything, "post": (False, False)}


async def test_requests_and_connection_messages_are_refused_both_ways_and_unblocking_restores_nothing(server):
    alice, bob = await server.account(), await server.account()
    connection = await _connect(server, alice, bob)
    said = await server.request("POST", f"{V1}/connection-messages", token=bob.access_token,
                                json={"receiverId": alice.id, "message": "hi"})
    assert said.status == 201

    assert await _ids(server, bob, "/notifications") and await _ids(server, alice, "/notifications")
    block = (await _block(server, bob, alice)).body
    # The notifications about the replaced connection (who asked, who accepted) go with it.
    assert await _ids(server, bob, "/notifications") == await _ids(server, alice, "/notifications") == set()
    # The accepted connection is replaced by the block, which only its blocker sees.
    assert await _ids(server, bob, "/connections") == {block["id"]}
    assert await _ids(server, bob, "/connections?status=blocked") == {block["id"]}
    assert await _ids(server, alice, "/connections") == set()
    assert_problem(await server.request("GET", f"{V1}/connections/{connection['id']}", token=alice.access_token),
                   404, "not_found")
    assert_problem(await server.request("GET", f"{V1}/connections/{block['id']}", token=alice.access_token), 404,
                   "not_found")
    assert_problem(await server.request("POST", f"{V1}/connections/{block['id']}/accept", token=alice.access_token),
                   404, "not_found")
    assert_problem(await server.request("DELETE", f"{V1}/connections/{block['id']}", token=bob.access_token), 403,
                   "forbidden")

    for sender, receiver in ((alice, bob), (bob, alice)):
        _refused(await server.request("POST", f"{V1}/connections", token=sender.access_token,
                                      json={"receiverId": receiver.id}))
        _refused(await server.request("POST", f"{V1}/connection-messages", token=sender.access_token,
                                      json={"receiverId": receiver.id, "message": "still there?"}))

    assert (await _block(server, bob, alice, "DELETE")).status == 204
    assert (await _block(server, bob, alice, "DELETE")).status == 204  # unblocking twice is fine
    # Nothing came back: no connection, so no messages; a new request is possible again.
    assert await _ids(server, bob, "/connections") == set()
    assert await _ids(server, alice, "/connections") == set()
    not_connected = await server.request("POST", f"{V1}/connection-messages", token=alice.access_token,
                                         json={"receiverId": bob.id, "message": "friends again?"})
    assert_problem(not_connected, 403, "forbidden")
    assert "connected" in not_connected.body["detail"]
    asked = await server.request("POST", f"{V1}/connections", token=alice.access_token, json={"receiverId": bob.id})
    assert asked.status == 201 and asked.body["status"] == "pending"


async def test_a_block_is_idempotent_each_side_keeps_its_own_and_nobody_blocks_themselves(server):
    alice, bob = await server.account(), await server.account()
    first, again = (await _block(server, alice, bob)).body, (await _block(server, alice, bob)).body
    assert first["id"] == again["id"] and again["status"] == "blocked"
    assert await _ids(server, alice, "/connections") == {first["id"]}

    yourself = await server.request("PUT", f"{V1}/users/{alice.id}/block", token=alice.access_token)
    assert_problem(yourself, 422, "invalid")
    assert "userId" in yourself.body["errors"]
    nobody = "00000000-0000-4000-8000-000000000000"
    assert_problem(await server.request("PUT", f"{V1}/users/{nobody}/block", token=alice.access_token), 404,
                   "not_found")
    assert_problem(await server.request("PUT", f"{V1}/users/{bob.id}/block"), 401, "unauthorized")

    # Bob blocks back; Alice's unblocking leaves Bob's block in place.
    assert (await _block(server, bob, alice)).status == 200
    assert (await _block(server, alice, bob, "DELETE")).status == 204
    assert_problem(await server.request("GET", f"{V1}/users/{bob.id}", token=alice.access_token), 404, "not_found")
    _refused(await server.request("POST", f"{V1}/connections", token=alice.access_token, json={"receiverId": bob.id}))
    assert (await _block(server, bob, alice, "DELETE")).status == 204
    assert (await server.request("GET", f"{V1}/users/{bob.id}", token=alice.access_token)).status == 200


async def test_blocking_and_requesting_at_once_never_leave_a_request_beside_a_block(server):
    pairs = [(await server.account(), await server.account()) for _ in range(6)]

    async def race(alice, bob):
        return await asyncio.gather(
            server.request("POST", f"{V1}/connections", token=bob.access_token, json={"receiverId": alice.id}),
            _block(server, alice, bob))

    for (alice, bob), (asked, blocked) in zip(pairs, await asyncio.gather(*(race(*pair) for pair in pairs)),
                                              strict=True):
        assert blocked.status == 200, blocked.body
        # Refused after the block, or made before it and replaced by it (404 when the block came even
        # before the request's answer was read back).
        assert asked.status in (201, 403, 404), asked.body
        listed = await server.request("GET", f"{V1}/connections", token=alice.access_token)
        assert [row["status"] for row in listed.body["items"]] == ["blocked"]
        assert await _ids(server, bob, "/connections") == set()


async def test_an_invitation_to_an_event_is_refused_between_blocked_people(server):
    organizer, guest = await server.account(), await server.account()
    event = await _event(server, organizer, visibility="private")
    await _block(server, guest, organizer)
    _refused(await server.request("PUT", f"{V1}/events/{event['id']}/attendees/{guest.id}",
                                  token=organizer.access_token, json={"role": "attendee"}))
    assert_problem(await server.request("GET", f"{V1}/events/{event['id']}", token=guest.access_token), 404,
                   "not_found")


async def test_direct_messages_are_refused_both_ways_over_sockets_and_http(server):
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    a, b = await connect(server, alice), await connect(server, bob)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    before = {"conversationId": conversation["id"], "content": "hi bob", "nonce": nonce()}
    assert (await a.call("dm:send", before))["ok"]
    await b.wait_for("dm:new")

    assert (await _block(server, bob, alice)).status == 200
    for client, other, account in ((a, bob, alice), (b, alice, bob)):
        opened = await client.call("dm:open", {"userId": other.id})
        assert opened["ok"] is False and opened["error"]["code"] == "forbidden", opened
        assert REFUSED in opened["error"]["message"]
        _refused(await server.request("POST", f"{V1}/conversations", token=account.access_token,
                                      json={"userId": other.id}))
        # Plain messages go through the group commit, a thread reply on its own: both refused.
        sent = await client.call("dm:send", {"conversationId": conversation["id"], "content": "hello?",
                                             "nonce": nonce()})
        assert sent["ok"] is False and sent["error"]["code"] == "forbidden", sent
        assert REFUSED in sent["error"]["message"]
        path = f"{V1}/conversations/{conversation['id']}/messages"
        _refused(await server.request("POST", path, token=account.access_token,
                                      json={"content": "over http", "nonce": nonce()}))
    first = (await server.request("GET", f"{V1}/conversations/{conversation['id']}/messages",
                                  token=alice.access_token)).body["messages"][0]
    _refused(await server.request("POST", f"{V1}/conversations/{conversation['id']}/messages",
                                  token=bob.access_token, json={"content": "a reply", "nonce": nonce(),
                                                                "parentId": first["id"]}))
    # Many at once from both sides, batched together: every one refused, none stored or delivered.
    acks = await asyncio.gather(*(client.call("dm:send", {"conversationId": conversation["id"],
                                                          "content": f"burst {i}", "nonce": nonce()})
                                  for i in range(8) for client in (a, b)))
    assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"forbidden"} and not any(
        ack["ok"] for ack in acks)
    # A retry of a message sent before the block is answered with that message, as always.
    retry = await a.call("dm:send", before)
    assert retry["ok"] and retry["data"]["message"]["seq"] == 1
    history = await server.request("GET", f"{V1}/conversations/{conversation['id']}/messages",
                                   token=bob.access_token)
    assert [m["content"] for m in history.body["messages"]] == ["hi bob"]
    assert [n for n, _ in b.events].count("dm:new") == 1

    # The channel they share is not a direct conversation: it still carries both.
    await send(a, room.channel_id, "channel still works")
    await send(b, room.channel_id, "here too")

    assert (await _block(server, bob, alice, "DELETE")).status == 204
    again = await b.call("dm:send", {"conversationId": conversation["id"], "content": "talk again", "nonce": nonce()})
    assert again["ok"] and again["data"]["message"]["seq"] == 2
    await a.wait_for("dm:new", where=lambda data: data["message"]["seq"] == 2)
