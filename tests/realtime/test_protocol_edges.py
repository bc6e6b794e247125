"""Engine.IO v4 and Socket.IO v5 at their edges, spoken by hand over real sockets.

What the server does with what the protocol documents do not allow (the Node server's
behaviour is the reference): a malformed packet closes the connection (a websocket with
code 1002) with one warning line and no traceback; a connection that never sends CONNECT
is closed after CONNECT_TIMEOUT; an unknown namespace gets CONNECT_ERROR {message};
bad polling requests get 400, an oversized polling body 413 and a closed connection; the
ping settings are announced exactly; and a client that sends without reading is cut off
once its backlog of acks passes SOCKET_HARD_BACKLOG.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import socket
import struct
from urllib.parse import urlsplit

import aiohttp
import orjson
import pytest

from chatserver.app import REALTIME
from chatserver.settings import Settings, SettingsError
from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.server import until

WS_PATH = "/socket.io/?EIO=4&transport=websocket"
POLL_PATH = "/socket.io/?EIO=4&transport=polling"
MALFORMED = r"closing a (connection|websocket|polling session) that sent a malformed"


# helpers


async def _open_ws(server) -> tuple[aiohttp.ClientWebSocketResponse, dict]:
    """An Engine.IO websocket, opened but not yet connected to a namespace."""
    ws = await server.http.ws_connect(server.url + WS_PATH)
    opened = await ws.receive_str()
    assert opened.startswith("0{"), opened
    return ws, orjson.loads(opened[1:])


async def _connected_ws(server, token: str) -> aiohttp.ClientWebSocketResponse:
    """Past CONNECT and `ready` (so that no welcome is still being prepared when the test ends)."""
    ws, _ = await _open_ws(server)
    await ws.send_str("40" + orjson.dumps({"token": token}).decode())
    assert (await ws.receive_str()).startswith("40{")
    while not (await ws.receive_str()).startswith('42["ready"'):
        pass
    return ws


async def _close_code(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> int | None:
    """Read until the server closes the websocket; its close code."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return ws.close_code


async def _sessions_gone(server, timeout: float = 3.0) -> None:
    """Every Engine.IO session of the server has ended (none left to the ping timeout)."""
    sio = server.app[REALTIME].sio
    await until(lambda: all(s.closed for s in sio.eio.sockets.values()), timeout)


async def _still_serves(server) -> None:
    """A new client connects and sends: the server is unharmed."""
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    client = await connect(server, owner)
    assert (await send(client, room.channel_id, "still here"))["seq"] == 1


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("chatserver") and r.levelno >= logging.WARNING]


async def _polling_session(server) -> str:
    async with server.http.get(server.url + POLL_PATH) as response:
        assert response.status == 200
        text = await response.text()
    assert text.startswith("0{"), text
    return orjson.loads(text[1:])["sid"]


async def _poll(server, sid: str, timeout: float = 5.0) -> tuple[int, str]:
    async with server.http.get(f"{server.url}{POLL_PATH}&sid={sid}",
                               timeout=aiohttp.ClientTimeout(total=timeout)) as response:
        return response.status, await response.text()


async def _post(server, sid: str, body: bytes | str) -> tuple[int, str]:
    async with server.http.post(f"{server.url}{POLL_PATH}&sid={sid}", data=body) as response:
        return response.status, await response.text()


# malformed Engine.IO packets on a websocket


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("frame", ["abc", "", "7", "b!!!not base64", "٣"])
async def test_a_malformed_engineio_packet_closes_the_websocket_without_a_token(server, caplog, frame):
    ws, _ = await _open_ws(server)
    await ws.send_str(frame)
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)
    [warning] = _warnings(caplog)
    assert warning.exc_info is None and "malformed Engine.IO packet" in warning.getMessage()
    await _still_serves(server)


@pytest.mark.expect_log(MALFORMED)
async def test_a_malformed_engineio_packet_ends_a_signed_in_session(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    realtime = server.app[REALTIME]
    assert len(realtime.principals) == 1
    await ws.send_str("")
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)
    assert realtime.principals == {}  # the Socket.IO disconnect ran: presence and rooms are released


# undecodable JSON and malformed Socket.IO packets


DEEP = "[" * 1100 + "]" * 1100  # past orjson's 1,024 levels

UNDECODABLE = [
    '42["message:send",{"channelId":"x","content":"\\ud800","nonce":"n"}]',  # a lone surrogate, escaped
    '42["message:send",{"content":"\\udc00\\ud800"}]',
    '42["typing",NaN]',
    '42["typing",{"typing":Infinity}]',
    '42["typing",-Infinity]',
    f'42["typing",{DEEP}]',
    '42["typing",{"typing":true}',  # cut short
]


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("text", UNDECODABLE, ids=["surrogate", "reversed-surrogates", "nan", "infinity",
                                                   "minus-infinity", "too-deep", "truncated"])
async def test_json_that_cannot_be_decoded_closes_the_connection_with_one_warning(server, caplog, text):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    await ws.send_str(text)
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)
    [warning] = _warnings(caplog)
    assert warning.exc_info is None and "malformed Socket.IO packet" in warning.getMessage()


BEFORE_CONNECT = ["4abc", "4", "42[\"message:send\",{}]", "41", "43[]", "44{}", "4{\"a\":1}", "40\"token\"",
                  "40[1]", "49", "45[\"x\"]"]


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("text", BEFORE_CONNECT)
async def test_a_malformed_or_early_socketio_packet_before_connect_closes_the_connection(server, text):
    ws, _ = await _open_ws(server)
    await ws.send_str(text)
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)


AFTER_CONNECT = ["42{}", "42abc[\"typing\",{}]", "42[]", "42[null]", "42[true,{}]", "42[\"connect\",{}]",
                 "42[\"disconnect\"]", "4{\"type\":2}", "42\"typing\"", "44{\"message\":\"x\"}",
                 "40{\"token\":\"again\"}", "42/other,[\"typing\",{}]", "41\"bye\"",
                 "451-[\"typing\",{\"_placeholder\":true,\"num\":0}]x", "4999-[\"typing\"]", "450-[\"typing\"]",
                 "42" + "1" * 120 + "[\"typing\",{}]"]  # an ack id of 120 digits


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("text", AFTER_CONNECT)
async def test_a_malformed_socketio_packet_closes_a_connected_socket(server, text):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    await ws.send_str(text)
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)
    assert server.app[REALTIME].principals == {}


@pytest.mark.expect_log(MALFORMED)
async def test_binary_frames_that_are_not_announced_attachments_close_the_connection(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    await ws.send_bytes(b"\x00\x01")
    assert await _close_code(ws) == 1002
    # and an announced attachment that comes as text
    ws = await _connected_ws(server, account.access_token)
    await ws.send_str('451-["typing",{"_placeholder":true,"num":0}]')
    await ws.send_str("not binary")
    assert await _close_code(ws) == 1002
    await _sessions_gone(server)


async def test_a_binary_event_with_its_attachment_is_answered_like_any_event(server):
    account = await server.account()
    ws = await _connected_ws(server, account.access_token)
    await ws.send_str('451-7["typing",{"_placeholder":true,"num":0}]')  # one attachment, ack id 7
    await ws.send_bytes(b"\x00\x01")
    while not (text := await ws.receive_str()).startswith("43"):
        pass  # ready, presence
    ack = orjson.loads(text[len("437"):])[0]
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"
    await ws.close()


# namespaces and the connect timeout


async def test_an_unknown_namespace_gets_connect_error_with_a_message_object(server):
    account = await server.account()
    ws, _ = await _open_ws(server)
    await ws.send_str("40/admin,")
    answer = await ws.receive_str()
    assert answer.startswith("44/admin,")
    assert orjson.loads(answer[len("44/admin,"):]) == {"message": "Invalid namespace"}
    # the connection stays, and can still join the default namespace
    await ws.send_str("40" + orjson.dumps({"token": account.access_token}).decode())
    assert (await ws.receive_str()).startswith("40{")
    while not (await ws.receive_str()).startswith('42["ready"'):
        pass
    await ws.close()


@pytest.mark.settings(CONNECT_TIMEOUT="0.5")
async def test_a_websocket_that_never_sends_connect_is_closed_after_the_connect_timeout(server):
    ws, _ = await _open_ws(server)
    started = asyncio.get_running_loop().time()
    assert await _close_code(ws, timeout=5) == 1000
    assert 0.4 < asyncio.get_running_loop().time() - started < 3
    await _sessions_gone(server)


@pytest.mark.settings(CONNECT_TIMEOUT="0.5")
async def test_a_polling_session_that_never_sends_connect_is_closed_after_the_connect_timeout(server):
    sid = await _polling_session(server)
    status, body = await _poll(server, sid)
    assert (status, body) == (200, "1")  # an Engine.IO CLOSE packet
    assert (await _poll(server, sid))[0] == 400  # the session is gone
    await _sessions_gone(server)


@pytest.mark.settings(CONNECT_TIMEOUT="0.5")
async def test_a_connected_socket_outlives_the_connect_timeout(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    client = await connect(server, owner)
    await asyncio.sleep(1.0)
    assert (await send(client, room.channel_id, "still connected"))["seq"] == 1


@pytest.mark.settings(CONNECT_TIMEOUT="0.5")
async def test_a_refused_connect_does_not_stop_the_connect_timeout(server):
    ws, _ = await _open_ws(server)
    await ws.send_str('40{"token":"not a token"}')
    assert (await ws.receive_str()).startswith("44")
    assert await _close_code(ws) == 1000


# polling requests


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/socket.io/?EIO=4"),  # no transport
    ("GET", "/socket.io/?EIO=4&transport=carrier-pigeon"),
    ("PUT", POLL_PATH),
    ("DELETE", POLL_PATH),
    ("PATCH", POLL_PATH),
    ("POST", POLL_PATH),  # a handshake is a GET
    ("GET", "/socket.io/?EIO=3&transport=polling"),
])
async def test_bad_polling_requests_get_400(server, method, path):
    async with server.http.request(method, server.url + path, data=b"4") as response:
        assert response.status == 400, (method, path)


async def test_an_options_request_without_transport_is_a_cors_preflight(server):
    async with server.http.options(server.url + "/socket.io/?EIO=4", headers={"Origin": "http://app.example"}) as response:
        assert response.status == 200


@pytest.mark.expect_log(r"closing a polling session whose POST is over")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_polling_post_over_the_frame_limit_gets_413_at_once_and_the_connection_closed(server, chunked):
    sid = await _polling_session(server)
    limit = server.settings.max_frame_bytes
    url = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    head = f"POST {POLL_PATH}&sid={sid} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: text/plain\r\n"
    if chunked:
        chunk = b"4" * (limit + 1)
        writer.write(f"{head}Transfer-Encoding: chunked\r\n\r\n{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    else:  # announce more than the limit, send only a little of it, and wait
        writer.write(f"{head}Content-Length: {limit + 1}\r\n\r\n".encode() + b"4" * 1000)
    await writer.drain()
    async with asyncio.timeout(3):
        status = await reader.readline()
        rest = await reader.read()  # until the server hangs up
    assert status.split()[1] == b"413", status
    assert b"Connection: close" in rest or b"connection: close" in rest.lower()
    writer.close()
    assert (await _poll(server, sid))[0] in (200, 400)  # a CLOSE packet, or the session already gone
    await _sessions_gone(server)


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("body", [b"abc", b"", b"7", b"2ping", b"\xff\xfe", b"4a\x1e" * 20, b"bnot-base64!"])
async def test_a_malformed_engineio_payload_over_polling_closes_the_session(server, body):
    sid = await _polling_session(server)
    status, _ = await _post(server, sid, body)
    assert status == 400
    assert (await _poll(server, sid))[0] in (200, 400)  # a CLOSE packet, or the session already gone
    assert (await _post(server, sid, b"40"))[0] == 400
    await _sessions_gone(server)


@pytest.mark.expect_log(MALFORMED)
@pytest.mark.parametrize("body", ["4abc", '42["typing",NaN]', '40"x"'])
async def test_a_malformed_socketio_packet_over_polling_closes_the_session(server, body):
    sid = await _polling_session(server)
    assert (await _post(server, sid, body))[0] == 200  # valid Engine.IO: the session closes after
    status, text = await _poll(server, sid)
    assert (status, text) == (200, "1") or status == 400  # a CLOSE packet, or the session already gone
    await _sessions_gone(server)


async def test_several_packets_in_one_polling_body_still_work(server):
    account = await server.account()
    sid = await _polling_session(server)
    connect_packet = "40" + orjson.dumps({"token": account.access_token}).decode()
    assert (await _post(server, sid, connect_packet + "\x1e" + '420["typing",{}]'))[0] == 200
    received = ""
    async with asyncio.timeout(5):
        while "430" not in received:
            received += (await _poll(server, sid))[1] + "\x1e"
    assert '"invalid"' in received.split("430", 1)[1]


# ping settings


async def test_the_default_ping_settings_are_announced(server):
    ws, opened = await _open_ws(server)
    assert (opened["pingInterval"], opened["pingTimeout"]) == (25_000, 20_000)
    assert opened["maxPayload"] == server.settings.max_frame_bytes
    await ws.close()


@pytest.mark.settings(PING_INTERVAL="0.4", PING_TIMEOUT="0.35")
async def test_sub_second_ping_settings_are_announced_and_kept(server):
    ws, opened = await _open_ws(server)
    assert (opened["pingInterval"], opened["pingTimeout"]) == (400, 350)
    async with asyncio.timeout(2):
        for _ in range(2):  # pings come every 0.4 s while answered
            assert await ws.receive_str() == "2"
            await ws.send_str("3")
    # unanswered, the connection is dropped soon after the timeout
    async with asyncio.timeout(4):
        while (message := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            assert message.data in ("2", "1")  # a ping, then the CLOSE packet
    await _sessions_gone(server)


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", "7200"])
def test_ping_and_connect_settings_refuse_what_is_not_a_sensible_number_of_seconds(value):
    for name in ("PING_INTERVAL", "PING_TIMEOUT", "CONNECT_TIMEOUT"):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})
    settings = Settings.from_env({"PING_INTERVAL": "0.5", "PING_TIMEOUT": "1e1", "CONNECT_TIMEOUT": "3"})
    assert (settings.ping_interval, settings.ping_timeout, settings.connect_timeout) == (0.5, 10.0, 3.0)


@pytest.mark.settings(PING_INTERVAL="2.5")
async def test_a_fractional_ping_interval_is_announced_exactly_over_polling(server):
    async with server.http.get(server.url + POLL_PATH) as response:
        opened = orjson.loads((await response.text())[1:])
    assert opened["pingInterval"] == 2_500


# a client that sends and never reads


class _DeafClient:
    """A websocket client that writes but never reads: nothing drains its receive buffer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, server, token: str) -> _DeafClient:
        url = urlsplit(server.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (url.hostname, url.port))
        # a small stream limit too: asyncio stops reading the socket past twice that
        reader, writer = await asyncio.open_connection(sock=sock, limit=16 * 1024)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {WS_PATH} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\n"
                      f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        await reader.readuntil(b"\r\n\r\n")
        client = cls(reader, writer)
        assert (await client._read_text()).startswith("0{")
        client.send("40" + orjson.dumps({"token": token}).decode())
        assert (await client._read_text()).startswith("40{")
        while not (await client._read_text()).startswith('42["ready"'):
            pass
        return client

    async def _read_text(self) -> str:
        first, second = await self.reader.readexactly(2)
        assert first == 0x81, first  # an unfragmented text frame
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return (await self.reader.readexactly(size)).decode()

    def send(self, text: str) -> None:
        """A masked text frame, as clients must send."""
        payload, mask = text.encode(), os.urandom(4)
        size = len(payload)
        header = bytes([0x81]) + (bytes([0x80 | size]) if size < 126 else struct.pack("!BH", 0x80 | 126, size))
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


async def _slow_clients_closed(server) -> float:
    """chat_slow_client_total{action="closed"}: the registry is the process's, so it counts
    what earlier tests in the same process cut off too."""
    body = (await server.request("GET", "/metrics")).body
    match = re.search(r'^chat_slow_client_total\{action="closed"\} (\S+)$', body, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.mark.expect_log(r"closing a socket that does not read")
async def test_acks_to_a_client_that_never_reads_are_bounded_and_it_is_cut_off(server):
    """At the default bounds: 400 history pages of ~400 KB would be 160 MB; SOCKET_HARD_BACKLOG_BYTES
    (16 MiB) cuts the client off long before its packet count reaches SOCKET_HARD_BACKLOG."""
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    writer = await connect(server, owner)
    for _ in range(20):
        await send(writer, room.channel_id, "x" * 20_000)  # each history ack is ~400 KB
    deaf = await _DeafClient.connect(server, owner.access_token)
    realtime = server.app[REALTIME]
    closed_before = await _slow_clients_closed(server)
    request = '42["channel:history",{"channelId":"%s","limit":20}]'
    try:
        for i in range(400):
            deaf.send(request.replace("42", f"42{i}", 1) % room.channel_id)
            if i % 20 == 19:
                await deaf.writer.drain()
                await asyncio.sleep(0.05)
            if len(realtime.principals) == 1:  # only the writer's socket is left
                break
    except ConnectionError:
        pass  # the server already hung up
    await until(lambda: len(realtime.principals) == 1, timeout=10)
    assert await _slow_clients_closed(server) == closed_before + 1
    deaf.writer.close()
    assert (await send(writer, room.channel_id, "the others go on"))["seq"] == 21


# a well-formed session is unaffected


async def test_a_hand_spoken_session_works_end_to_end(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    ws = await _connected_ws(server, owner.access_token)
    payload = {"channelId": room.channel_id, "content": "by hand", "nonce": nonce()}
    await ws.send_str("421" + orjson.dumps(["message:send", payload]).decode())
    async with asyncio.timeout(5):
        while not (text := await ws.receive_str()).startswith("431"):
            pass
    assert orjson.loads(text[3:])[0]["ok"] is True
    await ws.send_str("41")  # Socket.IO DISCONNECT, then the client closes
    await ws.close()
    await _sessions_gone(server)


async def test_clients_that_hang_up_during_the_websocket_handshake_leave_no_error_and_no_session(server):
    """A mobile client that loses its network mid-handshake is normal: no error logged, nothing left behind."""
    url = urlsplit(server.url)
    handshake = (f"GET {WS_PATH} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    for _ in range(40):
        sock = socket.socket()
        sock.setblocking(False)
        await loop.sock_connect(sock, (url.hostname, url.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
        await loop.sock_sendall(sock, handshake)
        sock.close()
    await _sessions_gone(server)
    await _still_serves(server)
