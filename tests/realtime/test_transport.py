"""The transport: no permessage-deflate, order kept across transports, slow readers cut off."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from tests.support.chat import connect, nonce, workspace_with_channel
from tests.support.sockets import Client


async def _raw_socket(server, token: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
    """An Engine.IO 4 websocket, spoken by hand, signed in and past the Socket.IO CONNECT."""
    ws = await server.http.ws_connect(f"{server.url}/socket.io/?EIO=4&transport=websocket", compress=compress)
    opened = await ws.receive_str()
    assert opened.startswith("0{")
    await ws.send_str("40" + orjson.dumps({"token": token}).decode())
    assert (await ws.receive_str()).startswith("40{")
    return ws


async def test_permessage_deflate_is_refused(server):
    account = await server.account()
    ws = await _raw_socket(server, account.access_token, compress=15)
    assert ws.compress == 0  # the browser's offer was declined: frames go out as they are
    await ws.close()


async def test_events_arrive_in_order_on_polling_websocket_and_upgraded_sockets(server):
    owner, polling_user, upgraded_user = await server.account(), await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, polling_user, upgraded_user)
    sender = await connect(server, owner)
    polling = Client()
    await polling.connect(server.url, polling_user.access_token, transports=["polling"])
    upgraded = Client()
    await upgraded.connect(server.url, upgraded_user.access_token, transports=["polling", "websocket"])
    for client in (polling, upgraded):
        await client.wait_for("ready")
    sends = [sender.call("message:send", {"channelId": room.channel_id, "content": f"n{i}", "nonce": nonce()})
             for i in range(60)]
    for ack in await asyncio.gather(*sends):
        assert ack["ok"]
    for client in (sender, polling, upgraded):
        await client.wait_for("message:new", where=lambda d: d["message"]["seq"] == 60, timeout=10)
        seqs = [d["message"]["seq"] for n, d in client.events if n == "message:new"]
        assert seqs == list(range(1, 61))
    await polling.sio.eio.disconnect(abort=True)  # a polling client's clean goodbye takes a long-poll cycle


@pytest.mark.settings(SOCKET_SOFT_BACKLOG="4", SOCKET_HARD_BACKLOG="16", RATE_LIMIT_SEND="100000/1")
async def test_a_client_that_stops_reading_is_cut_off_and_the_others_get_everything(server):
    owner, slow_user, fine_user = await server.account(), await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, slow_user, fine_user)
    slow = await _raw_socket(server, slow_user.access_token)  # it will never read again
    fine = await connect(server, fine_user)
    big = "x" * 30_000  # large frames fill the kernel's buffers quickly
    for _ in range(400):
        response = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages",
                                        token=owner.access_token, json={"content": big, "nonce": nonce()})
        assert response.status == 201
    await fine.wait_for("message:new", where=lambda d: d["message"]["seq"] == 400, timeout=30)
    assert len([1 for n, _ in fine.events if n == "message:new"]) == 400
    # The slow socket was dropped: reading it now ends in a close, not in 400 messages.
    received = 0
    async with asyncio.timeout(30):
        while True:
            message = await slow.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            received += message.data.startswith("42")
    assert received < 400
    metrics = await server.request("GET", "/metrics")
    assert 'chat_slow_client_total{action="closed"}' in metrics.body
