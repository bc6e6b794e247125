"""The websocket path of an Engine.IO session: one way in, one way out, no task per packet.

python-engineio runs a websocket session as a reader loop that starts a task and a
`wait_for` for every frame it reads, and a writer task per socket that takes each
outgoing packet from an asyncio.Queue. Here (`ChatSocket`):

- Out: a packet for a websocket whose output is not backed up is framed and handed
  to the connection at once; frames handed over in one event-loop turn leave in one
  write (`ChatWebSocket`). Past WRITE_HIGH_WATER bytes the kernel has not taken, or
  while packets wait in the queue (sent before an upgrade from polling finished),
  packets go to engine.io's queue in order, and a writer task, started for as long as
  there is a backlog, drains it. One output path per socket at any moment, so packets
  leave in the order they were sent; manager.RoomManager bounds the backlog.
- In: frames are read in one loop and handed to engine.io in it; python-socketio then
  runs each event's handler in a task of its own, so one slow event does not hold up
  the socket's next ones.
- Pings: one timer per socket instead of a sleeping task. It sends the PING, then waits
  ping_timeout for the PONG; a client that misses it loses its connection (Node's rule). That
  is the only dead-peer check: frames are awaited without a timeout of their own.
- The session runs once the request handler has returned (`SessionResponse`), so the
  handler chain's frames are not kept for the connection's lifetime.

Websockets refuse permessage-deflate: browsers offer it, and aiohttp would then
deflate every frame once per recipient, a third of the broadcast speed lost for
little gain on short chat frames.

A malformed packet closes the websocket with code 1002, as the Node server does;
python-engineio let the decoding error end the request handler with a traceback.
"""

from __future__ import annotations

import asyncio
import binascii
import contextvars
import logging
import struct
import time
from base64 import b64decode
from collections.abc import Awaitable, Callable
from functools import partial

from aiohttp import WSCloseCode
from aiohttp.web import WebSocketResponse
from aiohttp.web_protocol import RequestHandler
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as engineio_aiohttp
from engineio.async_socket import AsyncSocket

log = logging.getLogger(__name__)

WRITE_HIGH_WATER = 256 * 1024
CLOSE_GRACE = 2.0  # seconds a client has to answer our close frame before its connection is dropped

# Engine.IO v4 packet types, as the first character of a text packet.
WEBSOCKET_TYPES = frozenset("0123456")  # engine.io ignores the ones that make no sense here, as Node does


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


def packet_problem(data: str | bytes, allowed_types: frozenset[str] = WEBSOCKET_TYPES) -> str | None:
    """What makes one Engine.IO packet malformed, or None. A binary frame is always a MESSAGE."""
    if isinstance(data, bytes):
        return None
    if not data:
        return "an empty packet"
    if data[0] == "b":  # base64 binary MESSAGE
        try:
            b64decode(data[1:], validate=True)
        except binascii.Error:
            return "bad base64 in a binary packet"
        return None
    if data[0] not in allowed_types:
        return f"packet type {data[0]!r}"
    return None


class Outbox:
    """The websockets handed frames in this event-loop turn. They are written at the end of the
    turn, in one callback for all of them: a broadcast to a room of a thousand schedules one
    callback, not a thousand."""

    __slots__ = ("_websockets",)

    def __init__(self) -> None:
        self._websockets: list[ChatWebSocket] = []

    def add(self, websocket: ChatWebSocket) -> None:
        if not self._websockets:
            asyncio.get_running_loop().call_soon(self._write)
        self._websockets.append(websocket)

    def _write(self) -> None:
        websockets, self._websockets = self._websockets, []
        for websocket in websockets:
            websocket.flush()


class SessionResponse(WebSocketResponse):
    """A websocket response whose Engine.IO session runs when aiohttp finishes the response
    (its finish_response calls write_eof, which for a websocket closes it), not inside the
    request handler. The handler chain (aiohttp's application, the middleware, engine.io's
    handle_request with its environ and parsed query, the upgrade) returns once the handshake
    is sent, and its frames are freed for the connection's lifetime: about 3 KiB a connection."""

    session: Callable[[], Awaitable[None]] | None = None

    async def write_eof(self) -> None:
        if self.session is not None:
            _forget_http_parsing(self._req.protocol)
            self.headers.clear()  # sent with the 101; nothing reads them again
            running, self.session = self.session(), None  # (nothing holds the partial meanwhile)
            await running
        await super().write_eof()


def _forget_http_parsing(protocol: RequestHandler) -> None:
    """Once upgraded, aiohttp's connection reads only websocket frames (its `data_received` feeds
    the frame reader and nothing else), yet keeps its HTTP request parser and an empty request
    queue (a deque of 64 slots) for the connection's lifetime: with the 101's headers, 3 KiB of the
    18.6 an idle websocket held. Every later use of either is guarded: the parser by `is not None`,
    the queue by being empty."""
    protocol._parser = None
    protocol._messages = ()


class ChatWebSocket(engineio_aiohttp.WebSocket):
    """The aiohttp websocket under one Engine.IO session. Server frames are built here (unmasked:
    a small header and the payload) and gathered per event-loop turn into one write."""

    async def __call__(self, environ):
        request = environ["aiohttp.request"]
        self._sock = SessionResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        engineio_socket = getattr(self.handler, "__self__", None)
        try:
            await self._sock.prepare(request)
        except ConnectionResetError:  # the client hung up mid-handshake: a session opened by it goes too
            if engineio_socket is not None and not engineio_socket.connected:  # (not one upgrading from polling)
                await engineio_socket.close(wait=False, abort=True)
            raise
        self._request = request
        self._transport = request.transport
        self._pending: list[bytes] = []
        self._draining = False
        if engineio_socket is not None:
            # Kept on the session, so a client that stopped reading can be cut off at once
            # (manager.RoomManager): a close frame would only queue behind what it is not reading.
            engineio_socket.chat_transport = request.transport
            engineio_socket.chat_websocket = self
        self._sock.session = partial(self._run, engineio_socket, contextvars.copy_context())
        return self._sock  # the session runs from aiohttp's finish_response (SessionResponse)

    async def _run(self, engineio_socket: ChatSocket | None, context: contextvars.Context) -> None:
        """The Engine.IO session over this websocket, once the request handler has returned."""
        for var, value in context.items():  # the handshake's request id on the session's log lines, as before
            var.set(value)
        del context
        try:
            await self.handler(self)
        except Exception:  # the middleware no longer sees what escapes the session
            log.exception("a websocket session failed")
        if engineio_socket is None:
            return
        # The websocket is over: the session lets go of it (a session that upgraded from polling and
        # failed goes on without it), so that neither keeps the other alive in a reference cycle.
        engineio_socket.chat_websocket = engineio_socket.chat_transport = None
        if not engineio_socket.upgraded:
            # A failed upgrade: engine.io can leave `upgrading` set, which would answer every
            # later poll with a NOOP at once. The session goes on over polling, as in Node.
            engineio_socket.upgrading = False
        sockets = self.server.sockets
        if engineio_socket.closed and sockets.get(engineio_socket.sid) is engineio_socket:
            del sockets[engineio_socket.sid]  # as engine.io does once its request handler is back

    async def wait(self):
        data = await super().wait()  # OSError once the websocket is closed
        if problem := packet_problem(data):
            log.warning("closing a websocket that sent a malformed Engine.IO packet: %s", problem)
            await self.close_with(WSCloseCode.PROTOCOL_ERROR)
            raise OSError("malformed Engine.IO packet")
        return data

    async def send(self, message):
        """Hand over one packet's frame; past the high-water mark, wait until the kernel took the rest."""
        transport = self._transport
        if transport.is_closing():
            raise ConnectionResetError("websocket closed")
        self._hand_over(frame(message))
        if transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            self._draining = True
            try:
                await self._request.protocol._drain_helper()
            finally:
                self._draining = False

    def take_now(self, framed: bytes) -> bool:
        """Hand over a frame if the connection takes it without waiting: not while a send waits
        for the kernel, nor past the high-water mark. False: the caller queues it."""
        transport = self._transport
        if self._draining or transport.is_closing() \
                or transport.get_write_buffer_size() > WRITE_HIGH_WATER:
            return False
        self._hand_over(framed)
        return True

    def _hand_over(self, framed: bytes) -> None:
        if not self._pending:
            self.server.chat_outbox.add(self)
        self._pending.append(framed)

    def flush(self) -> None:
        """Write what was handed over, in one write."""
        frames, self._pending = self._pending, []
        transport = self._transport
        if frames and not transport.is_closing():
            transport.write(b"".join(frames))

    async def close(self):
        self.flush()  # what was handed over goes out before the close frame
        await self._sock.close()

    async def close_with(self, code: int) -> None:
        """Close frame with `code`; a client that neither reads nor answers it within
        CLOSE_GRACE loses its TCP connection instead of holding the close open."""
        self.flush()
        try:
            async with asyncio.timeout(CLOSE_GRACE):
                await self._sock.close(code=code)
        except TimeoutError:
            self._transport.abort()


_closing: set[asyncio.Task] = set()  # sessions being closed for a missed pong (tasks are held weakly)


def abort_transport(engineio_socket) -> None:
    """Drop the socket's TCP connection now, if it is a websocket."""
    transport = getattr(engineio_socket, "chat_transport", None)
    if transport is not None and not transport.is_closing():
        transport.abort()


class ChatSocket(AsyncSocket):
    """An Engine.IO session (python-engineio's socket) whose websocket path is the one above.
    Sessions become ChatSockets when they connect (transport.ChatEngineServer), so the
    attributes below are class-level defaults rather than set in __init__."""

    chat_websocket: ChatWebSocket | None = None
    chat_transport: asyncio.Transport | None = None
    _writer: asyncio.Task | None = None
    _ping_timer: asyncio.TimerHandle | None = None

    def take_now(self, framed: bytes) -> bool:
        """Send an already framed packet without queueing it, if it may go straight to the websocket:
        upgraded, nothing queued or being written before it, the connection taking it without waiting."""
        websocket = self.chat_websocket
        return websocket is not None and self.upgraded and self._writer is None and self.queue.empty() \
            and websocket.take_now(framed)

    async def send(self, pkt):
        if self.chat_websocket is None or not self.upgraded:
            return await super().send(pkt)  # polling, or an upgrade under way: engine.io's queue
        if self.closed:
            raise eio_exceptions.SocketIsClosedError()
        if self.take_now(frame(pkt.encode())):
            return
        self.queue.put_nowait(pkt)  # unbounded: manager.RoomManager bounds the backlog
        self._start_writer()

    def _start_writer(self) -> None:
        if self._writer is None and self.queue.qsize():
            self._writer = asyncio.get_running_loop().create_task(self._write_backlog(), name="eio-backlog")

    async def _write_backlog(self) -> None:
        websocket = self.chat_websocket
        try:
            while self.queue.qsize():
                pkt = self.queue.get_nowait()
                self.queue.task_done()
                if pkt is None:  # engine.io's "no more": only a poll waits for it
                    continue
                await websocket.send(pkt.encode())
        except ConnectionResetError:
            pass  # the connection is gone: the reader ends the session
        finally:
            self._writer = None

    def schedule_ping(self):
        """At the connect, and on each PONG: the next ping in ping_interval seconds."""
        if self.last_ping:  # only after the last ping was answered
            self.last_ping = None
            if self._ping_timer is not None:  # the answered ping's deadline
                self._ping_timer.cancel()
            self._ping_timer = asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        """Send a PING; the same timer then waits ping_timeout seconds for its PONG."""
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        ping = eio_packet.Packet(eio_packet.PING)
        if not self.take_now(frame(ping.encode())):
            self.server.start_background_task(self.send, ping)
        if not (self.closing or self.closed):
            self._ping_timer = asyncio.get_running_loop().call_later(self.server.ping_timeout, self._pong_missed)

    def _pong_missed(self) -> None:
        """No PONG within ping_timeout of the PING: the client is gone (Node's rule). This is the
        only dead-peer check of a websocket (its read loop waits without a timeout, so an idle
        connection holds one timer, not two): its TCP connection is dropped, which ends the read
        loop; a polling session is closed (its waiting poll ends), as engine.io's own check did."""
        self._ping_timer = None
        if self.closing or self.closed:
            return
        log.info("closing an Engine.IO session whose client did not answer a ping within %gs",
                 self.server.ping_timeout)
        dropped = self.upgraded and self.chat_transport is not None
        if dropped:
            abort_transport(self)
        task = asyncio.get_running_loop().create_task(
            self.close(wait=False, abort=dropped, reason=self.server.reason.PING_TIMEOUT))
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    async def check_ping_timeout(self):
        """engine.io asks this before each send and from its service task, comparing clocks; here
        the ping timer decides (_pong_missed), so only a closed session is refused."""
        if self.closed:
            raise eio_exceptions.SocketIsClosedError()
        return True

    async def close(self, wait=True, abort=False, reason=None):
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        was_open = not (self.closing or self.closed)
        await super().close(wait=wait, abort=abort, reason=reason)
        transport = self.chat_transport
        if was_open and not abort and self.upgraded and transport is not None and not transport.is_closing():
            # Closed by the server with a CLOSE packet (engine.io's disconnect): the read loop goes
            # on until the client closes the websocket. One that does not within ping_timeout loses
            # its connection, as a client that stopped answering pings does.
            self._ping_timer = asyncio.get_running_loop().call_later(self.server.ping_timeout, abort_transport, self)

    async def _websocket_handler(self, ws):
        if self.connected:  # an upgrade from polling
            if not await self._upgrade(ws):
                return
        else:
            self.connected = True
        self.upgraded = True
        self._start_writer()  # what was queued before the upgrade goes first
        while True:
            try:  # no timeout: a client that stops answering pings loses its connection (_pong_missed)
                data = await ws.wait()
            except OSError:
                break
            if data is None:  # closed by the client
                break
            if len(data) > self.server.max_http_buffer_size:
                break
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                break
            except Exception:
                log.exception("handling an Engine.IO packet failed")
            if self.closed:  # a CLOSE packet from the client, or its handling closed the session
                break
        if self._writer is not None:
            self._writer.cancel()
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _upgrade(self, ws) -> bool:
        """engine.io's upgrade from polling: the probe, then UPGRADE; sends are held meanwhile."""
        self.upgrading = True
        try:
            probe = eio_packet.Packet(encoded_packet=await ws.wait())
            if probe.packet_type != eio_packet.PING or probe.data != "probe":
                log.info("failed websocket upgrade: no probe")
                return False
            await ws.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
            self.queue.put_nowait(eio_packet.Packet(eio_packet.NOOP))  # ends the poll that waits
            upgrade = eio_packet.Packet(encoded_packet=await ws.wait())
            if upgrade.packet_type != eio_packet.UPGRADE:
                log.info("failed websocket upgrade: no UPGRADE packet")
                return False
            return True
        except OSError:
            return False
        finally:
            self.upgrading = False
