"""Erasing an account on one server process disconnects its devices on every process."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.support.chat import connect, send, workspace_with_channel

pytestmark = [pytest.mark.timeout(120), pytest.mark.cluster(count=2)]


async def test_erasure_on_one_process_disconnects_every_device_on_the_others(nodes):
    first, second = nodes
    alice, bob = await first.account(), await second.account()
    room = await workspace_with_channel(first, bob, alice)
    phone = await second.request("POST", "/api/v1/auth/login", json={"login": alice.username,
                                                                     "password": alice.password})
    laptop_socket = await connect(first, alice)
    phone_socket = await connect(second, dataclasses.replace(alice, access_token=phone.body["accessToken"]))
    bob_socket = await connect(second, bob)
    said = await send(laptop_socket, room.channel_id, "see you")

    erased = await first.request("DELETE", "/api/v1/me", token=alice.access_token, json={"password": alice.password})
    assert erased.status == 204, erased.body
    for socket, session_id in ((laptop_socket, alice.session_id), (phone_socket, phone.body["sessionId"])):
        assert await socket.wait_for("session:revoked") == {"sessionId": session_id, "reason": "account deleted"}
        await asyncio.wait_for(socket.disconnected.wait(), 5)
    # Bob, on the other process, still reads the channel and can write in it.
    history = await second.request("GET", f"/api/v1/channels/{room.channel_id}/messages", token=bob.access_token)
    assert [m["content"] for m in history.body["messages"] if m["id"] == said["id"]] == ["see you"]
    assert (await send(bob_socket, room.channel_id, "bye"))["content"] == "bye"
