"""The Socket.IO server: authenticated connections, rooms, and delivery of broker events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from aiohttp import web

from chatserver import logs, metrics
from chatserver.actions import auth, me
from chatserver.actions.context import Principal, Services
from chatserver.broker import Event, rooms
from chatserver.errors import ApiError
from chatserver.realtime import wire_json
from chatserver.settings import Settings

log = logging.getLogger(__name__)


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
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins=settings.cors_origins,
            json=wire_json,
            max_http_buffer_size=settings.max_frame_bytes,
            ping_interval=25,
            ping_timeout=20,
            logger=False,
            engineio_logger=False,
        )
        self.principals: dict[str, Principal] = {}
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)

    def attach(self, app: web.Application) -> None:
        """Add the /socket.io/ routes; done when the app is built, before its router freezes."""
        self.sio.attach(app, socketio_path="/socket.io/")

    def start(self, svc: Services) -> None:
        self._svc = svc
        svc.broker.on_event(self.deliver)

    @property
    def svc(self) -> Services:
        assert self._svc is not None, "start() first"
        return self._svc

    async def _on_connect(self, sid: str, environ: dict, auth_payload: Any = None) -> None:
        logs.sid.set(sid)
        try:
            principal = await auth.authenticate(self.svc, _token_from(auth_payload, environ))
        except ApiError as error:
            metrics.SOCKET_CONNECTS.labels("refused").inc()
            raise socketio.exceptions.ConnectionRefusedError(
                error.message, {"code": "unauthorized", "message": error.message}) from None
        self.principals[sid] = principal
        await self.sio.enter_room(sid, rooms.user(principal.user_id))
        await self.sio.enter_room(sid, rooms.session(principal.session_id))
        metrics.SOCKET_CONNECTS.labels("accepted").inc()
        metrics.SOCKETS.inc()
        # `ready` must follow the CONNECT packet, which python-socketio sends only
        # after this handler returns; a task started now runs after that.
        asyncio.get_running_loop().create_task(self._send_ready(sid, principal))

    async def _send_ready(self, sid: str, principal: Principal) -> None:
        user = await me.get_me(self.svc, principal)
        await self.sio.emit("ready", {
            "user": {"id": str(user.id), "username": user.username, "displayName": user.display_name,
                     "avatarUrl": user.avatar_url},
            "channels": [], "conversations": [], "presence": [],
        }, to=sid)

    async def _on_disconnect(self, sid: str, reason: Any = None) -> None:
        if self.principals.pop(sid, None) is not None:
            metrics.SOCKETS.dec()

    async def deliver(self, event: Event) -> None:
        """Send a broker event to this process's sockets in its rooms."""
        await self.sio.emit(event.name, event.data, to=list(event.rooms), skip_sid=event.skip_sid)
        if event.disconnect:
            for room in event.rooms:
                for sid, _ in list(self.sio.manager.get_participants("/", room)):
                    await self.sio.disconnect(sid)

    async def close(self) -> None:
        for sid in list(self.principals):
            await self.sio.disconnect(sid)
