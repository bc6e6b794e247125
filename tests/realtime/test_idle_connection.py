"""What an idle connection keeps, and how a dead one is found (issue 10: memory per idle websocket).

A websocket waits for frames without a timeout; the ping timer finds a client that is gone (no
PONG within PING_TIMEOUT of a PING, Node's rule). The handshake's environ is emptied once the
CONNECT succeeded, the rooms of a socket are kept in a list, and aiohttp's HTTP parsing state goes
once the connection is upgraded.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import time
import weakref

import aiohttp
import orjson
import pytest

from chatserver import logs
from chatserver.app import REALTIME
from tests.support.server import until

WS_PATH = "/socket.io/?EIO=4&transport=websocket"


async def _open_ws(server, **kwargs) -> aiohttp.ClientWebSocketResponse:
    ws = await server.http.ws_connect(server.url + WS_PATH, **kwargs)
    assert (await ws.receive_str()).startswith("0{")
    return ws


async def _until_ready(ws: aiohttp.ClientWebSocketResponse) -> None:
    while not (text := await ws.receive_str()).startswith("40{"):  # (an event of an earlier CONNECT may come first)
        assert text.startswith("42"), text
    while not (await ws.receive_str()).startswith('42["ready"'):
        pass


async def _connected_ws(server, token: str) -> aiohttp.ClientWebSocketResponse:
    ws = await _open_ws(server)
    await ws.send_str("40" + orjson.dumps({"token": token}).decode())
    await _until_ready(ws)
    return ws


async def _closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> list[str]:
    """Read until the connection ends, within `seconds`; the text frames read meanwhile."""
    texts = []
    async with asyncio.timeout(seconds):
        while (message := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            texts.append(message.data)
    return texts


def _only_session(server):
    [socket] = server.app[REALTIME].sio.eio.sockets.values()
    return socket


# dead peers


@pytest.mark.settings(PING_INTERVAL="0.3", PING_TIMEOUT="0.4")
async def test_a_client_that_stops_answering_pings_is_cut_within_interval_plus_timeout(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    realtime = server.app[REALTIME]
    async with asyncio.timeout(2):
        while await ws.receive_str() != "2":
            pass
    await ws.send_str("3")  # the last answered ping
    answered = time.monotonic()
    texts = await _closed_within(ws, 3)
    waited = time.monotonic() - answered
    assert texts.count("2") == 1  # one more ping, unanswered, then the connection is dropped
    assert 0.3 + 0.4 - 0.05 <= waited <= 0.3 + 0.4 + 0.5, waited
    await until(lambda: not realtime.sio.eio.sockets and not realtime.principals)


@pytest.mark.settings(PING_INTERVAL="0.3", PING_TIMEOUT="0.4")
async def test_a_client_that_answers_pings_stays_however_long_it_is_silent(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    deadline = time.monotonic() + 2.0  # several times interval + timeout
    pings = 0
    while time.monotonic() < deadline:
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                text = await ws.receive_str()
        except TimeoutError:
            break
        if text == "2":
            pings += 1
            await ws.send_str("3")
    assert pings >= 4
    assert not ws.closed and len(server.app[REALTIME].principals) == 1
    session = _only_session(server)
    assert session._ping_timer is not None and not session.closed
    await ws.close()


@pytest.mark.settings(PING_TIMEOUT="0.4")
async def test_a_client_that_ignores_the_servers_close_packet_loses_its_connection(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    realtime = server.app[REALTIME]
    closed_at = time.monotonic()
    await realtime.sio.eio.disconnect(_only_session(server).sid)  # engine.io's CLOSE packet: "1"
    texts = await _closed_within(ws, 3)  # the client reads on and never closes
    assert texts[-1:] == ["1"]
    assert time.monotonic() - closed_at <= 0.4 + 0.5
    await until(lambda: not realtime.principals)


async def test_a_close_packet_from_the_client_ends_its_websocket(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    await ws.send_str("1")
    await _closed_within(ws, 3)
    await until(lambda: not server.app[REALTIME].sio.eio.sockets)


# what a connection keeps


async def test_the_handshake_environ_is_emptied_once_connected(server):
    account = await server.account()
    ws = await _open_ws(server)
    sio = server.app[REALTIME].sio
    session = _only_session(server)
    assert "HTTP_UPGRADE" in sio.environ[session.sid]
    await ws.send_str('40{"token":"not-a-real-token"}')  # refused: the environ stays for the next CONNECT
    assert (await ws.receive_str()).startswith("44{")
    assert "HTTP_UPGRADE" in sio.environ[session.sid]
    await ws.send_str("40" + orjson.dumps({"token": account.access_token}).decode())
    await _until_ready(ws)
    assert sio.environ[session.sid] == {}
    await ws.close()


async def test_a_bearer_header_still_serves_a_second_connect_on_the_same_connection(server):
    account = await server.account()
    ws = await _open_ws(server, headers={"Authorization": f"Bearer {account.access_token}"})
    sio = server.app[REALTIME].sio
    await ws.send_str("40")
    await _until_ready(ws)
    assert sio.environ[_only_session(server).sid] == {"HTTP_AUTHORIZATION": f"Bearer {account.access_token}"}
    await ws.send_str("41")  # leave the namespace, keep the connection
    await until(lambda: not server.app[REALTIME].principals)
    await ws.send_str("40")
    await _until_ready(ws)
    assert len(server.app[REALTIME].principals) == 1
    await ws.close()


async def test_a_sockets_rooms_are_listed_once_and_released_on_disconnect(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    realtime = server.app[REALTIME]
    manager = realtime.sio.manager
    [sid] = realtime.principals
    rooms = manager._joined[("/", sid)]
    assert isinstance(rooms, list) and len(rooms) == len(set(rooms))
    assert None in rooms and sid in rooms
    await realtime.sio.enter_room(sid, "extra")
    await realtime.sio.enter_room(sid, "extra")  # twice: listed once
    assert manager._joined[("/", sid)].count("extra") == 1
    await realtime.sio.leave_room(sid, "extra")
    assert "extra" not in manager._joined[("/", sid)]
    assert "extra" not in manager.rooms["/"]
    await realtime.sio.enter_room(sid, "extra")
    await ws.close()
    await until(lambda: ("/", sid) not in manager._joined)
    assert all(sid not in members for members in manager.rooms.get("/", {}).values())


def _client_text_frame(text: str) -> bytes:
    payload, mask = text.encode(), os.urandom(4)
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_an_upgraded_connection_keeps_no_http_parser_and_reads_frames_sent_with_the_upgrade(server):
    """Once upgraded, aiohttp's HTTP parser and request queue are let go (websocket._forget_http_parsing);
    a client that sends its CONNECT in the same write as the upgrade request is still read."""
    account = await server.account()
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {WS_PATH} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n".encode()
                 + _client_text_frame("40" + orjson.dumps({"token": account.access_token}).decode()))
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    seen = b""
    async with asyncio.timeout(5):
        while b'42["ready"' not in seen:
            seen += await reader.read(65536)
    protocol = _only_session(server).chat_websocket._request.protocol
    assert protocol._parser is None and not protocol._messages
    writer.close()


async def test_a_closed_websocket_is_freed_at_once_not_by_the_garbage_collector(server):
    """Nothing keeps a connection's websocket in a reference cycle: when it closes, its objects go by
    reference counting, not at the collector's next full pass (which, with many sockets held, comes
    late and stalls every socket while it walks them). The collector is paused meanwhile, so that it
    cannot free a cycle before it is looked for."""
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    websocket = _only_session(server).chat_websocket
    gone = [weakref.ref(websocket), weakref.ref(websocket._sock), weakref.ref(websocket._request)]
    del websocket
    gc.collect()
    gc.disable()
    try:
        await ws.close()
        await until(lambda: not server.app[REALTIME].principals)
        await until(lambda: all(ref() is None for ref in gone))
    finally:
        gc.enable()


class _RequestIds(logging.Handler):
    """The request id in effect when each record is logged (the JSON formatter reads it then)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.getMessage(), logs.request_id.get()))


async def test_a_websocket_session_logs_with_its_handshakes_request_id_after_the_handler_returned(server):
    """The session runs once the request handler has returned (websocket.SessionResponse), yet
    its log lines carry the handshake's request id as before; a failed upgrade leaves the
    polling session usable."""
    async with server.http.get(server.url + "/socket.io/?EIO=4&transport=polling") as response:
        sid = orjson.loads((await response.text())[1:])["sid"]
    handler = _RequestIds()
    logging.getLogger("chatserver").addHandler(handler)
    try:
        ws = await server.http.ws_connect(f"{server.url}{WS_PATH}&sid={sid}", headers={"X-Request-Id": "upgrade-1"})
        await ws.send_str("3")  # not the probe
        await _closed_within(ws, 3)
    finally:
        logging.getLogger("chatserver").removeHandler(handler)
    assert ("failed websocket upgrade: no probe", "upgrade-1") in handler.seen
    session = server.app[REALTIME].sio.eio.sockets[sid]
    assert not session.upgrading and not session.upgraded and not session.closed
