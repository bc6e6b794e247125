"""Socket.IO connections: only with a valid access token; revoking the session disconnects."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import socketio

from tests.support.sockets import Client


@pytest.mark.parametrize("token", [None, "", "not-a-real-token", "x" * 1000])
async def test_a_connection_without_a_valid_token_is_refused_with_unauthorized(server, token):
    client = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, token)
    assert client.connect_error is not None
    assert client.connect_error["data"]["code"] == "unauthorized"


async def test_a_connection_with_a_valid_token_is_accepted_and_gets_ready(server):
    account = await server.account("dora")
    client = Client()
    await client.connect(server.url, account.access_token)
    try:
        ready = await client.wait_for("ready")
        assert ready["user"]["id"] == account.id
        assert ready["user"]["username"] == "dora"
        assert ready["channels"] == [] and ready["conversations"] == []
    finally:
        await client.close()


async def _polling_handshake(server, token: str) -> str:
    """Speak Engine.IO 4 long-polling by hand; return what the server answers to the CONNECT."""
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    async with server.http.get(base) as response:
        open_packet = await response.text()
    assert open_packet.startswith("0")
    url = base + "&sid=" + orjson.loads(open_packet[1:])["sid"]
    async with server.http.post(url, data="40" + orjson.dumps({"token": token}).decode()) as response:
        assert response.status == 200
    async with server.http.get(url) as response:
        return await response.text()


async def test_long_polling_connections_are_authenticated_too(server):
    account = await server.account()
    accepted = await _polling_handshake(server, account.access_token)
    # A CONNECT packet, then `ready` in the same poll or the next.
    assert accepted.startswith("40{")
    refused = await _polling_handshake(server, "bogus")
    assert refused.startswith("44")
    assert orjson.loads(refused[2:])["data"]["code"] == "unauthorized"


async def test_logout_disconnects_the_sessions_sockets_only(server):
    account = await server.account()
    other = await server.request("POST", "/api/v1/auth/login",
                                 json={"login": account.username, "password": account.password})
    this_device, other_device = Client(), Client()
    await this_device.connect(server.url, account.access_token)
    await other_device.connect(server.url, other.body["accessToken"])
    await this_device.wait_for("ready")
    await other_device.wait_for("ready")

    assert (await server.request("POST", "/api/v1/auth/logout", token=account.access_token)).status == 204
    revoked = await this_device.wait_for("session:revoked")
    assert revoked["sessionId"] == account.session_id
    await asyncio.wait_for(this_device.disconnected.wait(), 5)
    # The other device stays connected and usable.
    await asyncio.sleep(0.2)
    assert other_device.sio.connected
    await other_device.close()


async def test_revoking_a_device_from_another_disconnects_it(server):
    account = await server.account()
    phone = await server.request("POST", "/api/v1/auth/login",
                                 json={"login": account.username, "password": account.password})
    phone_socket = Client()
    await phone_socket.connect(server.url, phone.body["accessToken"])
    await phone_socket.wait_for("ready")
    response = await server.request("DELETE", f"/api/v1/me/sessions/{phone.body['sessionId']}",
                                    token=account.access_token)
    assert response.status == 204
    await phone_socket.wait_for("session:revoked")
    await asyncio.wait_for(phone_socket.disconnected.wait(), 5)
    again = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(server.url, phone.body["accessToken"])
