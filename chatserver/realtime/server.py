"""The Socket.IO server: authenticated connections, event dispatch, rooms, and delivery of broker events."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial
from typing import Any
from uuid import UUID

import socketio
from aiohttp import WSCloseCode, web
from redis.exceptions import RedisError
from socketio import packet

from chatserver import logs, metrics
from chatserver.actions import auth, presence, sync, typing
from chatserver.actions.context import Principal, Services
from chatserver.background import cancel
from chatserver.broker import Event, rooms
from chatserver.broker.control import ROOMS, is_control, joined_at
from chatserver.errors import ApiError, internal, invalid, unauthorized
from chatserver.realtime import wire_json
from chatserver.realtime.events import EVENTS, EventContext, ack_requested
from chatserver.realtime.manager import RoomManager
from chatserver.realtime.ordering import StreamOrder
from chatserver.realtime.transport import ChatEngineServer, close_connection
from chatserver.realtime.websocket import abort_transport
from chatserver.realtime.wire_json import ChatPacket, MalformedPacket
from chatserver.schemas.base import parse
from chatserver.schemas.conversations import ReadyUser
from chatserver.schemas.events import ERROR, READY, ErrorEvent
from chatserver.settings import Settings

log = logging.getLogger(__name__)

TOUCH_EVERY_SECONDS = 30.0  # presence activity is recorded at most this often per socket


class _Server(socketio.AsyncServer):
    """python-socketio's server, stricter at the protocol's edges, as the Node server is:

    - a malformed packet (wire_json.ChatPacket says which), or one the connection's state does
      not allow (an event before CONNECT, a second CONNECT), closes the connection with one
      warning line; python-socketio logged a traceback and ignored it;
    - a connection that joins no namespace within `connect_timeout` seconds is closed;
    - an unknown namespace gets CONNECT_ERROR `{message}`, an object as the client expects;
    - acks count against the socket's hard backlog like broadcasts (manager.RoomManager);
    - handlers learn whether the client asked for an ack, so errors of an event sent without
      one can go out as an `error` event instead of vanishing.
    """

    def __init__(self, *, connect_timeout: float, **kwargs: Any) -> None:
        super().__init__(serializer=ChatPacket, **kwargs)
        self.connect_timeout = connect_timeout
        self._connect_deadlines: dict[str, asyncio.TimerHandle] = {}
        self._given_up: set[str] = set()  # connections being closed: what they still send is ignored
        self._closing: set[asyncio.Task] = set()

    def _engineio_server_class(self):
        return ChatEngineServer

    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        ack_requested.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)

    async def _send_packet(self, eio_sid, pkt):
        if self.manager.cut_off_if_backlogged(eio_sid):
            return
        await super()._send_packet(eio_sid, pkt)

    async def _handle_eio_connect(self, eio_sid, environ):
        await super()._handle_eio_connect(eio_sid, environ)
        self._connect_deadlines[eio_sid] = asyncio.get_running_loop().call_later(
            self.connect_timeout, self._connect_deadline_passed, eio_sid)

    async def _handle_eio_disconnect(self, eio_sid, reason):
        self._cancel_connect_deadline(eio_sid)
        self._given_up.discard(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_eio_message(self, eio_sid, data):
        if eio_sid in self._given_up:
            return
        try:
            if eio_sid in self._binary_packet:  # an attachment of the binary packet before
                await super()._handle_eio_message(eio_sid, data)
                return
            pkt = ChatPacket.from_wire(data)
            self._check_state(eio_sid, pkt)
        except MalformedPacket as problem:
            log.warning("closing a connection that sent a malformed Socket.IO packet: %s", problem)
            self._close(eio_sid)
            return
        await self._dispatch(eio_sid, pkt)

    def _joined(self, eio_sid: str, namespace: str | None) -> bool:
        return self.manager.sid_from_eio_sid(eio_sid, namespace or "/") is not None

    def _check_state(self, eio_sid: str, pkt: ChatPacket) -> None:
        """Node's rule (socket.io's client.ts): CONNECT only to a namespace not joined yet,
        every other packet only to a joined one."""
        joined = self._joined(eio_sid, pkt.namespace)
        if pkt.packet_type == packet.CONNECT and joined:
            raise MalformedPacket(f"CONNECT to {pkt.namespace or '/'}, already joined")
        if pkt.packet_type != packet.CONNECT and not joined:
            raise MalformedPacket(f"{packet.packet_names[pkt.packet_type]} before CONNECT to {pkt.namespace or '/'}")

    async def _dispatch(self, eio_sid: str, pkt: ChatPacket) -> None:
        """python-socketio's own dispatch, for a packet already decoded and checked."""
        kind = pkt.packet_type
        if kind == packet.CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
            if self._joined(eio_sid, pkt.namespace):
                self._cancel_connect_deadline(eio_sid)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif kind == packet.EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        elif kind == packet.ACK:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
        else:  # BINARY_EVENT, BINARY_ACK: handled once their attachments have arrived
            self._binary_packet[eio_sid] = pkt

    async def _handle_connect(self, eio_sid, namespace, data):
        namespace = namespace or "/"
        if self.namespaces != "*" and namespace not in self.namespaces and namespace not in self.handlers:
            # python-socketio sends the bare string "Unable to connect"; clients read `data.message`.
            await self._send_packet(eio_sid, self.packet_class(
                packet.CONNECT_ERROR, data={"message": "Invalid namespace"}, namespace=namespace))
            return
        await super()._handle_connect(eio_sid, namespace, data)
        if self._joined(eio_sid, namespace):
            self._forget_environ(eio_sid)

    def _forget_environ(self, eio_sid: str) -> None:
        """Empty the handshake's WSGI-style environ once a CONNECT succeeded (about 1.5 KiB a
        connection: every header twice, as aiohttp keeps them and as HTTP_* keys). Only a
        CONNECT reads it (python-socketio's `self.environ[eio_sid]`, our `_token_from`); engine.io
        has answered the handshake, and its other requests (polls, the upgrade) have environs of
        their own. python-socketio keeps the dict until the connection ends (a later CONNECT looks
        it up), so it is emptied, not dropped; the Authorization header stays for a CONNECT after
        a DISCONNECT on the same connection."""
        environ = self.environ.get(eio_sid)
        if environ:
            authorization = environ.get("HTTP_AUTHORIZATION")
            environ.clear()
            if authorization is not None:
                environ["HTTP_AUTHORIZATION"] = authorization

    def _connect_deadline_passed(self, eio_sid: str) -> None:
        self._connect_deadlines.pop(eio_sid, None)
        if not any(self._joined(eio_sid, namespace) for namespace in list(self.manager.get_namespaces())):
            log.info("closing a connection that joined no namespace within %gs", self.connect_timeout)
            self._close(eio_sid, code=WSCloseCode.OK)

    def _cancel_connect_deadline(self, eio_sid: str) -> None:
        deadline = self._connect_deadlines.pop(eio_sid, None)
        if deadline is not None:
            deadline.cancel()

    def _close(self, eio_sid: str, code: int = WSCloseCode.PROTOCOL_ERROR) -> None:
        """Close the Engine.IO connection, in a task of its own: a websocket's close handshake
        must not hold the handler that decided it."""
        socket = self.eio.sockets.get(eio_sid)
        if socket is None or socket.closed or eio_sid in self._given_up:
            return
        self._given_up.add(eio_sid)
        task = asyncio.get_running_loop().create_task(close_connection(socket, code))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


def _token_from(auth_payload: Any, environ: dict) -> str | None:
    if isinstance(auth_payload, dict) and isinstance(auth_payload.get("token"), str):
        return auth_payload["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


READY_PRESENCE = {"all": True, "none": False}  # auth.presence -> whether `ready` carries everyone's presence


def _ready_presence(auth_payload: Any) -> bool:
    choice = auth_payload.get("presence", "all") if isinstance(auth_payload, dict) else "all"
    if choice not in READY_PRESENCE:
        message = 'auth.presence must be "all" or "none"'
        raise socketio.exceptions.ConnectionRefusedError(message, {"code": "invalid", "message": message})
    return READY_PRESENCE[choice]


class Realtime:
    """Owns the AsyncServer and the map from socket id to the user behind it."""

    def __init__(self, settings: Settings) -> None:
        self._svc: Services | None = None
        self.sio = _Server(
            async_mode="aiohttp",
            cors_allowed_origins=settings.cors_origins,
            json=wire_json,
            max_http_buffer_size=settings.max_frame_bytes,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            connect_timeout=settings.connect_timeout,
            # Events of one socket are handled in order, inline, without a task each.
            async_handlers=False,
            client_manager=RoomManager(self._interest, soft_backlog=settings.socket_soft_backlog,
                                       hard_backlog=settings.socket_hard_backlog,
                                       hard_backlog_bytes=settings.socket_hard_backlog_bytes),
            logger=False,
            engineio_logger=False,
        )
        self.principals: dict[str, Principal] = {}
        self._touched: dict[str, float] = {}
        self._tasks: list[asyncio.Task] = []
        self._draining = False
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("*", self._on_event)

    def attach(self, app: web.Application) -> None:
        """Add the /socket.io/ routes; done when the app is built, before its router freezes."""
        self.sio.attach(app, socketio_path="/socket.io/")

    def start(self, svc: Services) -> None:
        self._svc = svc
        self.order = StreamOrder(self._emit, partial(sync.stream_positions, svc), partial(sync.missed_events, svc))
        svc.broker.on_event(self.deliver)
        svc.broker.on_subscribed(self.order.subscribed)
        self._tasks = [asyncio.get_running_loop().create_task(self._every(1.0, typing.expire)),
                       asyncio.get_running_loop().create_task(self._every(30.0, presence.idle_sweep))]

    def _interest(self, room: str, wanted: bool) -> None:
        if self._svc is not None:
            # Followed first: the broker may tell at once that the room is heard.
            (self.order.follow if wanted else self.order.unfollow)(room)
            self._svc.broker.interest(room, wanted)

    @property
    def svc(self) -> Services:
        assert self._svc is not None, "start() first"
        return self._svc

    async def _every(self, seconds: float, job) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await job(self.svc)
            except (RedisError, OSError, ApiError) as exc:  # Redis or PostgreSQL away: once a beat, no stack
                log.warning("periodic %s skipped: %s", job.__name__, exc)
            except Exception:
                log.exception("periodic %s failed", job.__name__)

    # connections

    async def _on_connect(self, sid: str, environ: dict, auth_payload: Any = None) -> None:
        logs.sid.set(sid)
        if self._draining:
            raise socketio.exceptions.ConnectionRefusedError(
                "server is shutting down", {"code": "unavailable", "message": "server is shutting down"})
        with_presence = _ready_presence(auth_payload)
        try:
            principal, me, mine = await auth.authenticate_socket(self.svc, _token_from(auth_payload, environ))
        except ApiError as error:  # a bad token is `unauthorized`; PostgreSQL away is `unavailable`
            metrics.SOCKET_CONNECTS.labels("refused").inc()
            code = "unavailable" if error.code == "unavailable" else "unauthorized"
            raise socketio.exceptions.ConnectionRefusedError(
                error.message, {"code": code, "message": error.message}) from None
        self.principals[sid] = principal
        for room in [rooms.user(principal.user_id), rooms.session(principal.session_id),
                     *map(rooms.workspace, mine.workspaces), *map(rooms.channel, mine.channels),
                     *map(rooms.conversation, mine.conversations)]:
            await self.sio.enter_room(sid, room)
        metrics.SOCKET_CONNECTS.labels("accepted").inc()
        metrics.SOCKETS.inc()
        # `ready` must follow the CONNECT packet, which python-socketio sends only
        # after this handler returns; a task started now runs after that.
        asyncio.get_running_loop().create_task(self._welcome(sid, principal, me, mine.workspaces, with_presence))

    async def _welcome(self, sid: str, principal: Principal, me: ReadyUser, workspace_ids: list[UUID],
                       with_presence: bool) -> None:
        try:
            await presence.connected(self.svc, principal.user_id, sid, workspace_ids)
            await self.order.settled()  # what `ready` does not show, this process delivers
            snapshot = await sync.ready(self.svc, principal, me, with_presence=with_presence)
            await self.sio.emit(READY.name, READY.data(snapshot), to=sid)
        except (ApiError, RedisError, OSError) as exc:
            # PostgreSQL or Redis went away since the connect: a client without `ready` would wait for
            # ever, so its transport is cut and it reconnects (with backoff) until they are back.
            log.warning("no ready for a new socket (%s); cutting its transport", exc)
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
            if (socket := self.sio.eio.sockets.get(eio_sid)) is not None:
                await self._cut(socket)
        except Exception:
            log.exception("sending ready failed")

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        principal = self.principals.pop(sid, None)
        self._touched.pop(sid, None)
        if principal is not None:
            metrics.SOCKETS.dec()
            if not self._draining:  # while draining, the user is about to reconnect to another process
                try:
                    await presence.disconnected(self.svc, principal.user_id, sid)
                except (ApiError, RedisError, OSError) as exc:  # presence is best effort
                    log.warning("could not announce a disconnect: %s", exc)

    # events

    async def _on_event(self, name: str, sid: str, *args: Any) -> dict:
        started = time.perf_counter()
        logs.sid.set(sid)
        principal = self.principals.get(sid)
        outcome = "ok"
        try:
            if principal is None:
                raise unauthorized("not connected")
            spec = EVENTS.get(name)
            if spec is None:
                raise invalid(None, f"unknown event {name!r}", event=name)
            if len(args) != 1:
                raise invalid({"payload": "expected one"}, "expected one payload object")
            await self._touch(sid, principal)
            result = await spec.handler(EventContext(self.svc, principal, sid), parse(spec.payload, args[0]))
            data = result.wire() if hasattr(result, "wire") else (result or {})
            return {"ok": True, "data": data}
        except ApiError as error:
            outcome = error.code
            return self._refuse(sid, name, error)
        except Exception:
            outcome = "internal"
            log.exception("event %s failed", name)
            return self._refuse(sid, name, internal())
        finally:
            metrics.SOCKET_EVENTS.labels(name if name in EVENTS else "unknown", outcome).observe(
                time.perf_counter() - started)

    def _refuse(self, sid: str, name: str, error: ApiError) -> dict:
        ack = error.as_ack()
        if not ack_requested.get():
            asyncio.get_running_loop().create_task(
                self.sio.emit(ERROR.name, ERROR.data(ErrorEvent(event=name, **ack["error"])), to=sid))
        return ack

    async def _touch(self, sid: str, principal: Principal) -> None:
        now = time.monotonic()
        if now - self._touched.get(sid, 0.0) >= TOUCH_EVERY_SECONDS:
            self._touched[sid] = now
            try:
                await presence.active(self.svc, principal.user_id)
            except (RedisError, OSError) as exc:  # presence is best effort; the event itself goes on
                log.warning("could not record activity: %s", exc)

    # delivery

    def _local_sids(self, room: str) -> list[str]:
        return [sid for sid, _ in self.sio.manager.get_participants("/", room)]

    async def deliver(self, event: Event) -> None:
        """Send a broker event to this process's sockets in its rooms, each stream's in order."""
        if is_control(event):
            await self._control(event)
            return
        await self.order.deliver(event)

    async def _emit(self, event: Event) -> None:
        skip = [event.skip_sid] if event.skip_sid else []
        if event.skip_user:
            skip.extend(self._local_sids(rooms.user(event.skip_user)))
        await self.sio.emit(event.name, event.data, to=list(event.rooms), skip_sid=skip or None)
        if event.disconnect:
            for room in event.rooms:
                for sid in self._local_sids(room):
                    await self.sio.disconnect(sid)

    async def _control(self, event: Event) -> None:
        if event.name != ROOMS:
            log.warning("unknown control event %s", event.name)
            return
        at = joined_at(event)
        for room in event.rooms:
            sids = self._local_sids(room)
            for joined in event.data.get("join", ()):
                entering = [sid for sid in sids if not self._in_room(sid, joined)]
                # Told before they enter: where they are the stream's first sockets here, it starts
                # at the join, else they are sent what they missed of it (realtime.ordering).
                self.order.joining(joined, at.get(joined), entering)
                for sid in entering:
                    await self.sio.enter_room(sid, joined)
            for sid in sids:
                for left in event.data.get("leave", ()):
                    await self.sio.leave_room(sid, left)

    def _in_room(self, sid: str, room: str) -> bool:
        return sid in self.sio.manager.rooms.get("/", {}).get(room, ())

    async def drain(self, grace: float = 1.0) -> None:
        """On SIGTERM: cut every socket's transport, so that clients see a transport error and
        reconnect by themselves (to another process behind the load balancer; this one has
        stopped listening). An Engine.IO CLOSE packet would not do: python-socketio's client
        takes it for a server disconnect and stays away. Once clients had time to come back
        elsewhere, give up this process's presence, announcing only users who did not."""
        self._draining = True
        sockets = [socket for sid in list(self.principals)
                   if (eio_sid := self.sio.manager.eio_sid_from_sid(sid, "/")) is not None
                   and (socket := self.sio.eio.sockets.get(eio_sid)) is not None]
        for socket in sockets:
            await self._cut(socket)
        if self._svc is None:
            return
        await asyncio.sleep(grace if sockets else 0)
        try:
            await self.svc.presence.release()
        except Exception as exc:  # with Redis: the lease runs out and another process announces them
            log.warning("releasing presence on shutdown failed: %s", exc)

    @staticmethod
    async def _cut(socket) -> None:
        abort_transport(socket)  # a websocket: the TCP connection goes now
        await socket.close(wait=False, abort=True)
        # A long poll waiting for packets is answered with none, and the client's next poll fails.
        socket.queue.put_nowait(None)

    async def close(self) -> None:
        await cancel(*self._tasks)
        for sid in list(self.principals):
            await self.sio.disconnect(sid)
