"""The Engine.IO server with two transport changes.

Websockets refuse permessage-deflate: browsers offer it, and aiohttp would then
deflate every frame once per recipient, a third of the broadcast speed lost
for little gain on short chat frames.

Frames are gathered and written once per event-loop turn: engine.io's writer
hands over every queued packet in one go, so a burst to one socket costs one
system call instead of one per message, and frames are built here (server
frames are unmasked: a small header and the payload) instead of by aiohttp's
writer for each one. Past WRITE_HIGH_WATER bytes not yet taken by the kernel,
the writer waits, so a socket that does not read backs up into engine.io's
queue, where manager.RoomManager bounds it.

Each websocket remembers its TCP transport on its Engine.IO socket, so a
client that stopped reading can be cut off at once (see manager.RoomManager);
a close frame would only queue behind what it is not reading.
"""

from __future__ import annotations

import asyncio
import struct

import engineio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp

WRITE_HIGH_WATER = 256 * 1024


def frame(message: str | bytes) -> bytes:
    """One unmasked, unfragmented websocket frame (RFC 6455 section 5.2), text or binary."""
    payload, opcode = (message, 0x82) if isinstance(message, bytes) else (message.encode(), 0x81)
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", opcode, 126, size)
    else:
        header = struct.pack("!BBQ", opcode, 127, size)
    return header + payload


class ChatWebSocket(engineio_aiohttp.WebSocket):
    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        self._request = request
        self._pending: list[bytes] = []
        self._flush_scheduled = False
        engineio_socket = getattr(self.handler, "__self__", None)
        if engineio_socket is not None:
            engineio_socket.chat_transport = request.transport
        await self.handler(self)
        return self._sock

    async def send(self, message):
        transport = self._request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("websocket closed")  # ends engine.io's writer
        self._pending.append(frame(message))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        if transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            await self._request.protocol._drain_helper()

    def _flush(self) -> None:
        self._flush_scheduled = False
        frames, self._pending = self._pending, []
        transport = self._request.transport
        if frames and transport is not None and not transport.is_closing():
            transport.write(b"".join(frames))

    async def close(self):
        self._flush()  # what was handed over goes out before the close frame
        await self._sock.close()


class ChatEngineServer(engineio.AsyncServer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._async = {**self._async, "websocket": ChatWebSocket}  # a copy: the driver's dict is shared


def abort_transport(engineio_socket) -> None:
    """Drop the socket's TCP connection now, if it is a websocket."""
    transport = getattr(engineio_socket, "chat_transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()
