"""The Engine.IO server, stricter at its edges, with the websocket path of websocket.py.

Input is checked before python-engineio sees it, because engine.io lets its
decoding errors escape: a malformed polling body was logged and answered "ok",
and a polling body over the size limit was never answered. As the Node server
does, a malformed packet closes the connection: a polling session with a CLOSE
packet (a websocket with close code 1002, in websocket.py). A polling body over
MAX_FRAME_BYTES is answered 413 and its TCP connection closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any
from urllib.parse import parse_qs

import engineio
from aiohttp import WSCloseCode, web
from engineio import payload as eio_payload
from engineio.async_drivers import aiohttp as engineio_aiohttp

from chatserver.realtime.websocket import ChatSocket, ChatWebSocket, Outbox, packet_problem

log = logging.getLogger(__name__)

_POLLING_TYPES = frozenset("1345")  # close, pong, message, upgrade: the others raise inside engine.io
_BODY = web.RequestKey("chat_polling_body", bytes)


def payload_problem(body: bytes) -> str | None:
    """What makes a polling POST body (packets separated by \\x1e) malformed, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "a body that is not UTF-8"
    if text.startswith("d="):  # JSONP, as engine.io decodes it
        text = parse_qs(text).get("d", [""])[0]
    packets = text.split("\x1e")
    if len(packets) > eio_payload.Payload.max_decode_packets:
        return f"{len(packets)} packets in one body"
    for packet in packets:
        if problem := packet_problem(packet, _POLLING_TYPES):
            return problem
    return None


class _ReadBody:
    """A polling body already read and checked, handed to engine.io as its `wsgi.input`."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, _size: int = -1) -> bytes:
        return self._body


def _translate_request(request: web.Request) -> dict[str, Any]:
    environ = engineio_aiohttp.translate_request(request)
    body = request.get(_BODY)
    if body is not None:
        environ["wsgi.input"] = _ReadBody(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


class OutputQueue:
    """An Engine.IO session's output queue (engine.io's interface: an unbounded asyncio.Queue) that
    knows how many bytes it holds: manager.RoomManager bounds both the packets and the bytes waiting
    for a client that does not read. Most sockets are websockets whose packets go straight out
    (websocket.ChatSocket), so the queue holds nothing most of the time and then holds no memory
    either: an asyncio.Queue keeps four deques and an Event per socket, about 2 KiB."""

    __slots__ = ("_items", "_getters", "_unfinished", "_idle", "bytes")

    def __init__(self, *_args, **_kwargs) -> None:
        self._items: deque | None = None
        self._getters: list[asyncio.Future] | None = None
        self._unfinished = 0
        self._idle: asyncio.Event | None = None  # for join(), made when someone waits
        self.bytes = 0

    @staticmethod
    def _size(item) -> int:
        data = getattr(item, "data", None)
        return len(data) if isinstance(data, str | bytes) else 0

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self.bytes += self._size(item)
        self._unfinished += 1
        if self._idle is not None:
            self._idle.clear()
        self._wake_next()

    async def put(self, item) -> None:
        self.put_nowait(item)

    def get_nowait(self):
        if not self._items:
            raise asyncio.QueueEmpty
        item = self._items.popleft()
        self.bytes -= self._size(item)
        if not self._items:
            self._items = None
        return item

    async def get(self):
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:
                    self._getters.remove(getter)
                elif self._items:  # woken, then cancelled: the item goes to the next getter
                    self._wake_next()
                raise
        return self.get_nowait()

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._idle is not None:
            self._idle.set()

    async def join(self) -> None:
        if self._unfinished:
            if self._idle is None:
                self._idle = asyncio.Event()
            await self._idle.wait()


class ChatEngineServer(engineio.AsyncServer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A copy: the driver's dict is shared by every server in the process.
        self._async = {**self._async, "websocket": ChatWebSocket, "translate_request": _translate_request}
        self.chat_outbox = Outbox()

    def create_queue(self, *args, **kwargs) -> OutputQueue:
        return OutputQueue(*args, **kwargs)

    def attach(self, app, engineio_path="engine.io"):
        super().attach(app, engineio_path)
        # Other methods reach engine.io too, to be refused as Engine.IO requests (400), not as routes (405).
        app.router.add_route("*", f"/{engineio_path.strip('/')}/", self.handle_request)

    async def handle_request(self, request: web.Request) -> web.StreamResponse:
        if refusal := self._refusal(request):
            return await self._make_response(self._bad_request(refusal), _translate_request(request))
        if request.method == "POST" and (socket := self.sockets.get(request.query.get("sid", ""))) is not None:
            if socket.closed:  # engine.io's POST branch would raise KeyError here (its GET branch answers 400)
                return await self._make_response(self._bad_request("Session is closed"), _translate_request(request))
            if early := await self._take_polling_body(request, socket):
                return early
        return await super().handle_request(request)

    @staticmethod
    def _refusal(request: web.Request) -> dict | None:
        """Node's answers for what engine.io would otherwise take for a polling request."""
        if request.method not in ("GET", "POST", "OPTIONS"):
            return {"code": 2, "message": "Bad handshake method"}
        if request.method != "OPTIONS" and "transport" not in request.query:
            return {"code": 0, "message": "Transport unknown"}
        return None

    async def _take_polling_body(self, request: web.Request, socket) -> web.StreamResponse | None:
        """Read and check a polling POST body before engine.io does; an answer if it is refused."""
        body = await _read_at_most(request, self.max_http_buffer_size)
        if body is None:
            log.warning("closing a polling session whose POST is over %d bytes", self.max_http_buffer_size)
            await close_session(socket)
            return await self._answer_and_hang_up(request, 413, "Payload Too Large")
        if problem := payload_problem(body):
            log.warning("closing a polling session that sent a malformed Engine.IO payload: %s", problem)
            await close_session(socket)
            return await self._make_response(self._bad_request(), _translate_request(request))
        request[_BODY] = body
        return None

    async def _answer_and_hang_up(self, request: web.Request, status: int, text: str) -> web.StreamResponse:
        """Answer, then close the TCP connection without reading the rest of the body
        (aiohttp would otherwise read and discard it for up to 10 s)."""
        response = await self._make_response(
            {"status": f"{status} {text}", "headers": [("Content-Type", "text/plain")], "response": text.encode()},
            _translate_request(request))
        response.force_close()
        await response.prepare(request)
        await response.write_eof()
        if request.transport is not None:
            request.transport.close()  # after what was written goes out
        return response

    def _log_error_once(self, message, message_key):
        # engine.io logs a client's bad request (a stale session, a wrong transport) at ERROR
        # level the first time; it is the client's mistake, not the server's.
        log.info("refused an Engine.IO request: %s", message)

    async def _trigger_event(self, event, *args, **kwargs):
        if event == "connect":
            if (socket := self.sockets.get(args[0])) is not None:
                socket.__class__ = ChatSocket  # engine.io makes its own sockets; this is their websocket path
            self._announce_exact_ping_interval(args[0])
        return await super()._trigger_event(event, *args, **kwargs)

    def _announce_exact_ping_interval(self, sid: str) -> None:
        """engine.io announces int(seconds) * 1000 as pingInterval, so 0.5 s becomes 0 ms and
        2.5 s becomes 2000 ms (its pings go out at the right pace: only the announcement is off). Its OPEN packet is still alone in the new socket's queue when
        the connect event fires: correct it there."""
        socket = self.sockets.get(sid)
        if socket is None or socket.queue.qsize() != 1:
            return
        opened = socket.queue.get_nowait()
        socket.queue.task_done()
        if isinstance(opened.data, dict) and "pingInterval" in opened.data:
            opened.data["pingInterval"] = round((self.ping_interval + self.ping_interval_grace_period) * 1000)
            opened.data["pingTimeout"] = round(self.ping_timeout * 1000)  # int(0.35 * 1000) is 349
            opened.encode_cache = None
        socket.queue.put_nowait(opened)


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to be over `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def close_session(engineio_socket) -> None:
    """End a polling session: its next poll (or the one waiting) gets a CLOSE packet.
    Not waiting for that poll, which may never come."""
    await engineio_socket.close(wait=False, reason=engineio_socket.server.reason.TRANSPORT_ERROR)


async def close_connection(engineio_socket, code: int = WSCloseCode.PROTOCOL_ERROR) -> None:
    """End a connection the server gives up on: a websocket with a close frame (engine.io's
    read loop then ends the session), a polling session with a CLOSE packet."""
    websocket = getattr(engineio_socket, "chat_websocket", None)
    if websocket is not None and engineio_socket.upgraded:
        await websocket.close_with(code)
    else:
        await close_session(engineio_socket)
