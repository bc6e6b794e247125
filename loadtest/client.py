"""A lean Socket.IO client: one websocket, one reader task, no reconnection, no polling.

python-socketio's AsyncClient runs a task per received event and keeps an Engine.IO
queue per connection; a load generator cannot afford that for thousands of sockets on
one core. This client parses each frame inline and calls plain functions, so the cost
of a received broadcast is one JSON parse and one call.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import WSMsgType

from loadtest import protocol as p

log = logging.getLogger(__name__)

AckCallback = Callable[[list[Any] | None], None]  # ack arguments, or None if the socket went away


class ConnectRefused(Exception):
    """The server answered CONNECT_ERROR: the client's `connect_error` with its data."""

    def __init__(self, data: Any) -> None:
        super().__init__(f"connection refused: {data!r}")
        self.data = data


class ConnectFailed(Exception):
    """The websocket or the handshake failed before the Socket.IO connection existed."""


class LeanSocket:
    __slots__ = ("_session", "_ws", "_handlers", "_wanted", "_acks", "_next_ack", "_reader", "sid",
                 "connected", "disconnect_reason", "handshake")

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._handlers: dict[str, Callable[..., Any]] = {}
        self._wanted: set[bytes] = set()  # handled event names, as they appear in frames
        self._acks: dict[int, AckCallback] = {}
        self._next_ack = 0
        self._reader: asyncio.Task[None] | None = None
        self.sid: str | None = None
        self.connected = False
        self.disconnect_reason: str | None = None
        self.handshake: dict[str, Any] = {}

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        """handler(*args) for `event`; "*" catches the rest as handler(event, *args);
        "disconnect" gets handler(reason). A handler's return value answers a server ack."""
        self._handlers[event] = handler
        self._wanted.add(event.encode())

    async def connect(self, url: str, auth: Any = None, *, timeout: float = 10.0,
                      path: str = "/socket.io/") -> None:
        ws = None
        try:
            async with asyncio.timeout(timeout):
                ws = await self._session.ws_connect(
                    p.websocket_url(url, path), autoping=True, compress=0,
                    max_msg_size=64 << 20, decode_text=False)
                self.handshake = p.parse_open(await self._next_text(ws))
                await ws.send_frame(p.connect_packet(auth), WSMsgType.TEXT)
                while True:
                    frame = await self._next_text(ws)
                    if frame[0] == p.EIO_PING:
                        await ws.send_frame(p.PONG, WSMsgType.TEXT)
                        continue
                    if frame[0] != p.EIO_MESSAGE:
                        continue
                    packet = p.parse_socketio(frame)
                    if packet.kind == p.SIO_CONNECT:
                        self.sid = (packet.data or {}).get("sid")
                        break
                    if packet.kind == p.SIO_CONNECT_ERROR:
                        raise ConnectRefused(packet.data)
        except ConnectRefused:
            await _close_quietly(ws)
            raise
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            await _close_quietly(ws)
            raise ConnectFailed(f"{type(exc).__name__}: {exc}") from exc
        self._ws = ws
        self.connected = True
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))

    @staticmethod
    async def _next_text(ws: aiohttp.ClientWebSocketResponse) -> bytes:
        msg = await ws.receive()
        if msg.type is not WSMsgType.TEXT:
            raise ConnectFailed(f"websocket {msg.type.name} during the handshake: {msg.extra!r}")
        return msg.data

    async def emit(self, event: str, *args: Any, callback: AckCallback | None = None) -> None:
        """Send an event; `callback(args)` gets the ack's arguments (None if the socket closes first)."""
        if self._ws is None or not self.connected:
            raise ConnectionResetError("not connected")
        ack_id = None
        if callback is not None:
            ack_id = self._next_ack
            self._next_ack += 1
            self._acks[ack_id] = callback
        try:
            await self._ws.send_frame(p.event_packet(event, args, ack_id), WSMsgType.TEXT)
        except Exception:
            if ack_id is not None:
                self._acks.pop(ack_id, None)
            raise

    async def call(self, event: str, *args: Any, timeout: float = 10.0) -> Any:
        """Emit and wait for the ack, returning what python-socketio's AsyncClient.call returns."""
        future: asyncio.Future[list[Any] | None] = asyncio.get_running_loop().create_future()

        def settle(ack_args: list[Any] | None) -> None:
            if not future.done():
                future.set_result(ack_args)

        await self.emit(event, *args, callback=settle)
        ack_args = await asyncio.wait_for(future, timeout)
        if ack_args is None:
            raise ConnectionResetError(f"disconnected before the ack of {event!r}")
        return p.unwrap_args(ack_args)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = "transport close"
        try:
            while True:
                msg = await ws.receive()
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:  # binary attachments: not used by the chat
                        continue
                    break
                frame = msg.data
                kind = frame[0]
                if kind == p.EIO_MESSAGE:
                    reply = self._dispatch(frame)
                    if reply is not None:
                        if reply == b"41":
                            reason = "io server disconnect"
                            break
                        await ws.send_frame(reply, WSMsgType.TEXT)
                elif kind == p.EIO_PING:
                    await ws.send_frame(p.PONG, WSMsgType.TEXT)
                elif kind == p.EIO_CLOSE:
                    reason = "io server disconnect"
                    break
        except (aiohttp.ClientError, OSError, ConnectionResetError) as exc:
            reason = f"transport error: {exc}"
        finally:
            await self._gone(reason)

    def _dispatch(self, frame: bytes) -> bytes | None:
        """Handle one Socket.IO packet; returns a frame to send back, if any."""
        kind = frame[1]
        if kind == p.SIO_EVENT and frame[2] == 0x5B:  # "[": the hot path, no namespace and no ack id
            if frame[3] == 0x22 and "*" not in self._handlers:
                # Skip events nobody listens to (presence, typing...) without parsing them.
                name = frame[4:frame.find(b'"', 4)]
                if name not in self._wanted and b"\\" not in name:  # escaped names: parse to be sure
                    return None
            args = orjson.loads(memoryview(frame)[2:])
            handler = self._handlers.get(args[0])
            if handler is None:
                self._call_handler(args[0], args[1:])
                return None
            try:
                result = handler(*args[1:])
            except Exception:  # a broken handler must not take the connection down with it
                log.exception("handler for %r failed", args[0])
                return None
            if result is not None and inspect.iscoroutine(result):
                _keep(asyncio.ensure_future(result))
            return None
        packet = p.parse_socketio(frame)
        if packet.kind == p.SIO_EVENT:
            result = self._call_handler(packet.data[0], packet.data[1:])
            if packet.ack_id is not None:
                if inspect.isawaitable(result):
                    _keep(asyncio.ensure_future(self._ack_later(packet.ack_id, result)))
                    return None
                return p.ack_packet(packet.ack_id, [] if result is None else [result])
        elif packet.kind == p.SIO_ACK:
            callback = self._acks.pop(packet.ack_id, None) if packet.ack_id is not None else None
            if callback is not None:
                callback(packet.data or [])
        elif packet.kind == p.SIO_DISCONNECT:
            return b"41"
        return None

    def _call_handler(self, event: str, args: list[Any]) -> Any:
        handler = self._handlers.get(event)
        try:
            if handler is not None:
                result = handler(*args)
            elif (catch_all := self._handlers.get("*")) is not None:
                result = catch_all(event, *args)
            else:
                return None
        except Exception:  # a broken handler must not take the connection down with it
            log.exception("handler for %r failed", event)
            return None
        if result is not None and inspect.iscoroutine(result):
            return _keep(asyncio.ensure_future(result))
        return result

    async def _ack_later(self, ack_id: int, pending: Any) -> None:
        result = await pending
        if self._ws is not None and self.connected:
            await self._ws.send_frame(p.ack_packet(ack_id, [] if result is None else [result]),
                                      WSMsgType.TEXT)

    async def _gone(self, reason: str) -> None:
        if not self.connected:
            return
        self.connected = False
        self.disconnect_reason = reason
        pending, self._acks = self._acks, {}
        for callback in pending.values():
            callback(None)
        if self._ws is not None:
            await _close_quietly(self._ws)
        handler = self._handlers.get("disconnect")
        if handler is not None:
            handler(reason)

    async def close(self) -> None:
        """Leave as a client does: a Socket.IO DISCONNECT, then close the websocket."""
        ws = self._ws
        if ws is None or not self.connected:
            return
        try:
            await ws.send_frame(b"41", WSMsgType.TEXT)
        except (aiohttp.ClientError, OSError, ConnectionResetError):
            pass
        await self._gone("io client disconnect")
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


_background: set[asyncio.Future[Any]] = set()


def _keep(future: asyncio.Future[Any]) -> asyncio.Future[Any]:
    """Hold a reference until done: the loop keeps only weak references to tasks."""
    _background.add(future)
    future.add_done_callback(_background.discard)
    return future


async def _close_quietly(ws: aiohttp.ClientWebSocketResponse | None) -> None:
    if ws is not None and not ws.closed:
        try:
            await ws.close()
        except (aiohttp.ClientError, OSError, ConnectionResetError):
            pass


def new_session(limit: int = 0) -> aiohttp.ClientSession:
    """A session without the default 100-connection cap: every websocket holds a connection."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit, force_close=False),
                                 timeout=aiohttp.ClientTimeout(total=None, connect=30))
