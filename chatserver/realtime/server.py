"""The Socket.IO server: authenticated connections, event dispatch, rooms, and delivery of broker events."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import socketio
from aiohttp import web
from redis.exceptions import RedisError

from chatserver import logs, metrics
from chatserver.actions import auth, presence, sync, typing
from chatserver.actions.context import Principal, Services
from chatserver.background import cancel
from chatserver.broker import Event, rooms
from chatserver.broker.control import ROOMS, is_control
from chatserver.errors import ApiError
from chatserver.realtime import wire_json
from chatserver.realtime.events import EVENTS, EventContext, ack_requested
from chatserver.realtime.manager import RoomManager
from chatserver.realtime.transport import ChatEngineServer
from chatserver.schemas.base import parse
from chatserver.settings import Settings
from chatserver.store import memberships

log = logging.getLogger(__name__)

TOUCH_EVERY_SECONDS = 30.0  # presence activity is recorded at most this often per socket


class _Server(socketio.AsyncServer):
    """Tells handlers whether the client asked for an ack, so errors of an event sent
    without one can go out as an `error` event instead of vanishing."""

    async def _handle_event_internal(self, server, sid, eio_sid, data, namespace, id):
        ack_requested.set(id is not None)
        return await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)

    def _engineio_server_class(self):
        return ChatEngineServer


def _token_from(auth_payload: Any, environ: dict) -> str | None:
    if isinstance(auth_payload, dict) and isinstance(auth_payload.get("token"), str):
        return auth_payload["token"]
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


class Realtime:
    """Owns the AsyncServer and the map from socket id to the user behind it."""

    def __init__(self, settings: Settings) -> None:
        self._svc: Services | None = None
        self.sio = _Server(
            async_mode="aiohttp",
            cors_allowed_origins=settings.cors_origins,
            json=wire_json,
            max_http_buffer_size=settings.max_frame_bytes,
            ping_interval=25,
            ping_timeout=20,
            # Events of one socket are handled in order, inline, without a task each.
            async_handlers=False,
            client_manager=RoomManager(self._interest, soft_backlog=settings.socket_soft_backlog,
                                       hard_backlog=settings.socket_hard_backlog),
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
        svc.broker.on_event(self.deliver)
        self._tasks = [asyncio.get_running_loop().create_task(self._every(1.0, typing.expire)),
                       asyncio.get_running_loop().create_task(self._every(30.0, presence.idle_sweep))]

    def _interest(self, room: str, wanted: bool) -> None:
        if self._svc is not None:
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
            except (RedisError, OSError) as exc:  # Redis away: say so once a beat, without a stack each time
                log.warning("periodic %s skipped: %s", job.__name__, exc)
            except Exception:
                log.exception("periodic %s failed", job.__name__)

    # connections

    async def _on_connect(self, sid: str, environ: dict, auth_payload: Any = None) -> None:
        logs.sid.set(sid)
        if self._draining:
            raise socketio.exceptions.ConnectionRefusedError(
                "server is shutting down", {"code": "unavailable", "message": "server is shutting down"})
        try:
            principal = await auth.authenticate(self.svc, _token_from(auth_payload, environ))
        except ApiError as error:
            metrics.SOCKET_CONNECTS.labels("refused").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                error.message, {"code": "unauthorized", "message": error.message}) from None
        self.principals[sid] = principal
        for room in await self._rooms_of(principal):
            await self.sio.enter_room(sid, room)
        metrics.SOCKET_CONNECTS.labels("accepted").inc()
        metrics.SOCKETS.inc()
        # `ready` must follow the CONNECT packet, which python-socketio sends only
        # after this handler returns; a task started now runs after that.
        asyncio.get_running_loop().create_task(self._welcome(sid, principal))

    async def _rooms_of(self, principal: Principal) -> list[str]:
        async with self.svc.db.connection() as conn:
            mine = await memberships.of_user(conn, principal.user_id)
        return [rooms.user(principal.user_id), rooms.session(principal.session_id),
                *map(rooms.workspace, mine.workspaces), *map(rooms.channel, mine.channels),
                *map(rooms.conversation, mine.conversations)]

    async def _welcome(self, sid: str, principal: Principal) -> None:
        try:
            await presence.connected(self.svc, principal.user_id, sid)
            snapshot = await sync.ready(self.svc, principal)
            await self.sio.emit("ready", snapshot.wire(), to=sid)
        except Exception:
            log.exception("sending ready failed")

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        principal = self.principals.pop(sid, None)
        self._touched.pop(sid, None)
        if principal is not None:
            metrics.SOCKETS.dec()
            if not self._draining:  # while draining, the user is about to reconnect to another process
                await presence.disconnected(self.svc, principal.user_id, sid)

    # events

    async def _on_event(self, name: str, sid: str, *args: Any) -> dict:
        started = time.perf_counter()
        logs.sid.set(sid)
        principal = self.principals.get(sid)
        outcome = "ok"
        try:
            if principal is None:
                raise ApiError("unauthorized", "not connected")
            spec = EVENTS.get(name)
            if spec is None:
                raise ApiError("invalid", f"unknown event {name!r}", {"event": name})
            if len(args) != 1:
                raise ApiError("invalid", "expected one payload object", {"fields": {"payload": "expected one"}})
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
            return self._refuse(sid, name, ApiError("internal", "internal error"))
        finally:
            metrics.SOCKET_EVENTS.labels(name if name in EVENTS else "unknown", outcome).observe(
                time.perf_counter() - started)

    def _refuse(self, sid: str, name: str, error: ApiError) -> dict:
        ack = error.as_ack()
        if not ack_requested.get():
            asyncio.get_running_loop().create_task(
                self.sio.emit("error", {"event": name, **ack["error"]}, to=sid))
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
        """Send a broker event to this process's sockets in its rooms."""
        if is_control(event):
            await self._control(event)
            return
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
        for room in event.rooms:
            for sid in self._local_sids(room):
                for joined in event.data.get("join", ()):
                    await self.sio.enter_room(sid, joined)
                for left in event.data.get("leave", ()):
                    await self.sio.leave_room(sid, left)

    async def drain(self, grace: float = 1.0) -> None:
        """Close every socket's transport, not the Socket.IO session, so clients reconnect
        (to another process behind the load balancer); then, once they had time to, give up
        this process's presence, announcing only users who did not come back elsewhere."""
        self._draining = True
        eio_sids = [eio_sid for sid in list(self.principals)
                    if (eio_sid := self.sio.manager.eio_sid_from_sid(sid, "/")) is not None]
        # A long-polling client that stopped polling never takes its close packet; don't wait on it.
        await asyncio.gather(*(asyncio.wait_for(self.sio.eio.disconnect(eio_sid), 1.0) for eio_sid in eio_sids),
                             return_exceptions=True)
        if self._svc is None:
            return
        await asyncio.sleep(grace if eio_sids else 0)
        try:
            gone = await self.svc.presence.release()
            await presence.went_offline(self.svc, gone)
        except Exception:
            log.exception("releasing presence failed")

    async def close(self) -> None:
        await cancel(*self._tasks)
        for sid in list(self.principals):
            await self.sio.disconnect(sid)
