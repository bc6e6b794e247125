"""The Engine.IO server with two transport changes.

Websockets refuse permessage-deflate: browsers offer it, and aiohttp would then
deflate every frame once per recipient, a third of the broadcast speed lost
for little gain on short chat frames.

Each websocket remembers its TCP transport on its Engine.IO socket, so a
client that stopped reading can be cut off at once (see manager.RoomManager);
a close frame would only queue behind what it is not reading.
"""

from __future__ import annotations

import engineio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp


class ChatWebSocket(engineio_aiohttp.WebSocket):
    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        engineio_socket = getattr(self.handler, "__self__", None)
        if engineio_socket is not None:
            engineio_socket.chat_transport = request.transport
        await self.handler(self)
        return self._sock


class ChatEngineServer(engineio.AsyncServer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._async = {**self._async, "websocket": ChatWebSocket}  # a copy: the driver's dict is shared


def abort_transport(engineio_socket) -> None:
    """Drop the socket's TCP connection now, if it is a websocket."""
    transport = getattr(engineio_socket, "chat_transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()
