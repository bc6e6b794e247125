"""Presence across several sockets, chosen statuses, idleness; typing indicators and their expiry;
per-user rate limits."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import socketio

from chatserver.presence import MemoryPresence
from tests.support.chat import connect, nonce, workspace_with_channel
from tests.support.sockets import Client


async def test_online_while_any_socket_is_connected(server):
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, alice, bob)
    watcher = await connect(server, alice)
    phone = await connect(server, bob)
    came = await watcher.wait_for("presence", where=lambda d: d["userId"] == bob.id)
    assert came["status"] == "ONLINE"
    laptop = await connect(server, bob)
    await phone.close()
    await asyncio.sleep(0.3)
    assert [d["status"] for n, d in watcher.events if n == "presence" and d["userId"] == bob.id] == ["ONLINE"]
    await laptop.close()
    gone = await watcher.wait_for("presence", where=lambda d: d["userId"] == bob.id and d["status"] == "OFFLINE")
    assert gone["lastActiveAt"].endswith("Z")
    again = await connect(server, alice)
    ready = await again.wait_for("ready")
    assert {p["userId"]: p["status"] for p in ready["presence"]}[bob.id] == "OFFLINE"


async def test_a_client_may_leave_presence_out_of_ready_and_ask_for_it(server):
    alice, bob, carol, stranger = [await server.account() for _ in range(4)]
    await workspace_with_channel(server, alice, bob, carol)
    await connect(server, bob)
    lean = Client()
    await lean.connect(server.url, alice.access_token, auth_options={"presence": "none"})
    ready = await lean.wait_for("ready")
    assert ready["presence"] == [] and ready["channels"], "everything but presence is still there"

    ack = await lean.call("presence:get", {"userIds": [bob.id, carol.id, stranger.id]})
    assert ack["ok"], ack
    seen = {p["userId"]: p for p in ack["data"]["presence"]}
    assert set(seen) == {bob.id, carol.id}, "someone who shares no workspace is left out"
    assert seen[bob.id]["status"] == "ONLINE" and seen[carol.id]["status"] == "OFFLINE"
    assert seen[carol.id]["lastActiveAt"].endswith("Z")

    await connect(server, carol)  # changes still arrive without asking
    came = await lean.wait_for("presence", where=lambda d: d["userId"] == carol.id)
    assert came["status"] == "ONLINE"


async def test_presence_get_and_the_presence_option_refuse_bad_input(server):
    alice = await server.account()
    refused = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(server.url, alice.access_token, auth_options={"presence": "some"})
    assert refused.connect_error["data"]["code"] == "invalid"
    client = await connect(server, alice)
    for bad in ({"userIds": []}, {"userIds": ["not-a-uuid"]}, {"userIds": [str(uuid.uuid4())] * 501}, {}):
        ack = await client.call("presence:get", bad)
        assert not ack["ok"] and ack["error"]["code"] == "invalid", bad
    ack = await client.call("presence:get", {"userIds": [alice.id]})
    assert ack == {"ok": True, "data": {"presence": []}}, "alone in no workspace, alice shares one with nobody"


async def test_chosen_status_is_broadcast_and_shown_in_ready(server):
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, alice, bob)
    watcher = await connect(server, alice)
    client = await connect(server, bob)
    ack = await client.call("presence:set", {"status": "BUSY", "statusText": "in a meeting"})
    assert ack["ok"] and ack["data"]["presence"]["status"] == "BUSY"
    seen = await watcher.wait_for("presence", where=lambda d: d["userId"] == bob.id and d["status"] == "BUSY")
    assert seen["statusText"] == "in a meeting"
    fresh = await connect(server, alice)
    ready = await fresh.wait_for("ready")
    assert {p["userId"]: p["status"] for p in ready["presence"]}[bob.id] == "BUSY"


async def test_people_without_a_shared_workspace_do_not_see_presence(server):
    alice, stranger = await server.account(), await server.account()
    await workspace_with_channel(server, alice)
    watcher = await connect(server, alice)
    await connect(server, stranger)
    await asyncio.sleep(0.3)
    assert not any(n == "presence" and d["userId"] == stranger.id for n, d in watcher.events)


async def test_idle_users_turn_away_and_come_back_on_activity():
    tracker = MemoryPresence()
    user = uuid.uuid4()
    await tracker.connect(user, "sid-1")
    assert await tracker.go_idle(time.time() + 60) == []
    assert await tracker.go_idle(time.time() + 301) == [user]
    assert (await tracker.states([user]))[user].status == "AWAY"
    assert await tracker.touch(user) is True
    assert (await tracker.states([user]))[user].status == "ONLINE"
    await tracker.set_status(user, "BUSY", None)
    assert await tracker.go_idle(time.time() + 301) == []  # a chosen BUSY is not overridden by idleness


async def test_typing_goes_to_the_others_and_expires(server):
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    typist, other_device, listener = await connect(server, alice), await connect(server, alice), \
        await connect(server, bob)
    started = time.monotonic()
    assert (await typist.call("typing", {"channelId": room.channel_id, "typing": True})) == {"ok": True, "data": {}}
    seen = await listener.wait_for("typing")
    assert seen == {"channelId": room.channel_id, "userId": alice.id, "typing": True}
    stopped = await listener.wait_for("typing", where=lambda d: d["typing"] is False, timeout=10)
    assert stopped["userId"] == alice.id
    assert 5.5 <= time.monotonic() - started <= 8.5
    assert not any(n == "typing" for n, _ in typist.events + other_device.events)


async def test_sending_a_message_ends_typing(server):
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    typist, listener = await connect(server, alice), await connect(server, bob)
    await typist.call("typing", {"channelId": room.channel_id, "typing": True})
    await listener.wait_for("typing")
    await typist.call("message:send", {"channelId": room.channel_id, "content": "done", "nonce": nonce()})
    assert (await listener.wait_for("typing", where=lambda d: d["typing"] is False, timeout=2))["userId"] == alice.id


@pytest.mark.settings(RATE_LIMIT_SEND="5/60")
async def test_sends_past_the_rate_limit_are_refused_with_retry_after(server):
    alice = await server.account()
    room = await workspace_with_channel(server, alice)
    client = await connect(server, alice)
    acks = [await client.call("message:send", {"channelId": room.channel_id, "content": f"m{i}",
                                               "nonce": nonce()}) for i in range(7)]
    assert [ack["ok"] for ack in acks] == [True] * 5 + [False] * 2
    error = acks[5]["error"]
    assert error["code"] == "rate_limited" and 0 < error["details"]["retryAfter"] <= 12
    over_http = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages",
                                     token=alice.access_token, json={"content": "x", "nonce": nonce()})
    assert over_http.status == 429 and int(over_http.headers["Retry-After"]) >= 1
    # Other kinds of actions have their own budget.
    assert (await client.call("typing", {"channelId": room.channel_id, "typing": True}))["ok"]
