"""Direct conversations over sockets and HTTP."""

from __future__ import annotations

import asyncio

from tests.support.chat import connect, nonce, workspace_with_channel


async def _pair(server):
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, alice, bob)
    return alice, bob


async def test_opening_is_idempotent_for_the_pair_even_concurrently(server):
    alice, bob = await _pair(server)
    a, b = await connect(server, alice), await connect(server, bob)
    acks = await asyncio.gather(a.call("dm:open", {"userId": bob.id}), b.call("dm:open", {"userId": alice.id}),
                                a.call("dm:open", {"userId": bob.id}))
    ids = {ack["data"]["conversation"]["id"] for ack in acks}
    assert len(ids) == 1
    assert acks[0]["data"]["conversation"]["otherUserId"] == bob.id
    assert acks[1]["data"]["conversation"]["otherUserId"] == alice.id
    over_http = await server.request("POST", "/api/v1/conversations", token=alice.access_token,
                                     json={"userId": bob.id})
    assert over_http.body["conversation"]["id"] in ids


async def test_direct_messages_reach_both_users_and_have_their_own_seq(server):
    alice, bob = await _pair(server)
    a, b = await connect(server, alice), await connect(server, bob)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    sent = []
    for client, text in ((a, "hi bob"), (b, "hi alice"), (a, "how are you")):
        ack = await client.call("dm:send", {"conversationId": conversation["id"], "content": text, "nonce": nonce()})
        assert ack["ok"], ack
        sent.append(ack["data"]["message"])
    assert [m["seq"] for m in sent] == [1, 2, 3]
    assert sent[0]["conversationId"] == conversation["id"] and sent[0]["channelId"] is None
    for client in (a, b):
        await client.wait_for("dm:new", where=lambda d: d["message"]["seq"] == 3)
        assert [d["message"]["seq"] for n, d in client.events if n == "dm:new"] == [1, 2, 3]
    history = await b.call("dm:history", {"conversationId": conversation["id"], "limit": 2})
    assert [m["content"] for m in history["data"]["messages"]] == ["hi alice", "how are you"]
    assert history["data"]["hasMore"] is True


async def test_read_markers_and_unread_counts(server):
    alice, bob = await _pair(server)
    a, b = await connect(server, alice), await connect(server, bob)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    for text in ("one", "two", "three"):
        await a.call("dm:send", {"conversationId": conversation["id"], "content": text, "nonce": nonce()})
    listed = await server.request("GET", "/api/v1/conversations", token=bob.access_token)
    mine = listed.body["items"][0]
    assert (mine["lastSeq"], mine["lastReadSeq"], mine["unreadCount"]) == (3, 0, 3)
    read = await b.call("dm:read", {"conversationId": conversation["id"], "seq": 2})
    assert read["data"] == {"conversationId": conversation["id"], "lastReadSeq": 2, "unreadCount": 1}
    seen = await a.wait_for("dm:read")
    assert seen == {"conversationId": conversation["id"], "userId": bob.id, "lastReadSeq": 2}
    # Reading further back never moves the marker backwards; past the end stops at the end.
    assert (await b.call("dm:read", {"conversationId": conversation["id"], "seq": 1}))["data"]["lastReadSeq"] == 2
    assert (await b.call("dm:read", {"conversationId": conversation["id"], "seq": 99}))["data"]["lastReadSeq"] == 3
    # The sender has read what they sent.
    sender_view = await server.request("GET", f"/api/v1/conversations/{conversation['id']}",
                                       token=alice.access_token)
    assert sender_view.body["conversation"]["unreadCount"] == 0


async def test_edit_delete_and_react_on_direct_messages_use_the_message_events(server):
    alice, bob = await _pair(server)
    a, b = await connect(server, alice), await connect(server, bob)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    message = (await a.call("dm:send", {"conversationId": conversation["id"], "content": "typo",
                                        "nonce": nonce()}))["data"]["message"]
    edited = await a.call("message:edit", {"messageId": message["id"], "version": 1, "content": "fixed"})
    assert edited["ok"]
    assert (await b.wait_for("message:updated"))["message"]["content"] == "fixed"
    reacted = await b.call("reaction:add", {"messageId": message["id"], "emoji": "❤️"})
    assert reacted["ok"]
    update = await a.wait_for("reaction:updated")
    assert update["conversationId"] == conversation["id"] and update["reactions"][0]["count"] == 1
    not_mine = await b.call("message:delete", {"messageId": message["id"]})
    assert not_mine["error"]["code"] == "forbidden"
    assert (await a.call("message:delete", {"messageId": message["id"]}))["ok"]
    assert (await b.wait_for("message:deleted"))["conversationId"] == conversation["id"]


async def test_strangers_and_outsiders(server):
    alice, bob = await _pair(server)
    stranger = await server.account()
    s = await connect(server, stranger)
    refused = await s.call("dm:open", {"userId": alice.id})
    assert refused["error"]["code"] == "forbidden"
    self_talk = await s.call("dm:open", {"userId": stranger.id})
    assert self_talk["error"]["code"] == "invalid"
    a = await connect(server, alice)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    for event, payload in (("dm:send", {"conversationId": conversation["id"], "content": "x", "nonce": nonce()}),
                           ("dm:history", {"conversationId": conversation["id"]}),
                           ("dm:read", {"conversationId": conversation["id"], "seq": 1})):
        ack = await s.call(event, payload)
        assert ack["error"]["code"] == "not_found", event
    over_http = await server.request("GET", f"/api/v1/conversations/{conversation['id']}/messages",
                                     token=stranger.access_token)
    assert over_http.status == 404
