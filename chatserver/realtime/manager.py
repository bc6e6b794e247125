"""python-socketio's room bookkeeping, with two changes.

It reports when this process's first socket enters a room and its last one
leaves, so the broker subscribes only to rooms it has sockets in.

It broadcasts without a task per recipient: the packet is encoded, and framed
for websockets, once; each websocket with nothing queued takes the frame
directly (websocket.ChatSocket.take_now: no queue, no writer task, one write
per socket per event-loop turn), the others get it through their engine.io
queue (python-socketio creates one task per recipient and waits for them all).
It also bounds what a slow client can
hold: past a soft backlog, events that can be dropped for it (typing,
presence) are; past a hard backlog the connection is closed, and the client
reconnects and repairs with `sync`. A broadcast never waits for one socket.
The hard backlog also bounds packets sent to one socket, acks above all
(server._Server asks `cut_off_if_backlogged`): a client that sends requests
without reading their answers would otherwise grow its queue without limit.

This reaches into python-engineio (`server.eio.sockets`, a socket's `queue`);
the versions are pinned in pyproject.toml and tests cover order, slow clients
and mixed transports.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import socketio
from engineio import packet as eio_packet
from socketio import packet

from chatserver import metrics
from chatserver.realtime.websocket import abort_transport
from chatserver.realtime.websocket import frame as ws_frame

log = logging.getLogger(__name__)

DROPPABLE = frozenset({"typing", "presence"})


class _Members(dict):
    """A room's sockets, sid -> eio_sid. python-socketio keeps a bidict for each room, whose writes cost
    several times a dict's and which holds two dicts; only the namespace's own room (None) is ever
    asked the other way (eio_sid -> sid), so only that one stays a bidict. Every socket has a room of
    its own (its sid), so this is one of these per connection, about a quarter KiB less."""

    __slots__ = ()

    @property
    def _fwdm(self) -> dict:  # what python-socketio's get_participants reads of a bidict
        return self


class RoomManager(socketio.AsyncManager):
    def __init__(self, on_interest: Callable[[str, bool], None], *, soft_backlog: int = 256,
                 hard_backlog: int = 4096, hard_backlog_bytes: int = 16 << 20) -> None:
        super().__init__()
        self._on_interest = on_interest
        self.soft_backlog = soft_backlog
        self.hard_backlog = hard_backlog
        self.hard_backlog_bytes = hard_backlog_bytes
        # (namespace, sid) -> the rooms it is in. A list: a socket is in a handful of rooms
        # (its sid's, its user's, its session's, its workspaces' and channels'), and a set of
        # five takes about 700 bytes, a list 120. `self.rooms` answers membership in O(1).
        self._joined: dict[tuple[str, str], list] = {}

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        members = self.rooms.get(namespace, {}).get(room)
        was_new = members is None
        already_in = not was_new and sid in members
        if was_new and room is not None and namespace in self.rooms:
            self.rooms[namespace][room] = _Members()  # (the checks and the write below are python-socketio's)
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if not already_in:
            if (joined := self._joined.get((namespace, sid))) is None:
                self._joined[(namespace, sid)] = [room]
            else:
                joined.append(room)
        if was_new and room is not None and ":" in room:
            self._on_interest(room, True)

    def basic_leave_room(self, sid, namespace, room):
        existed = room in self.rooms.get(namespace, {})
        super().basic_leave_room(sid, namespace, room)
        if (joined := self._joined.get((namespace, sid))) is not None and room in joined:
            joined.remove(room)
        if existed and room not in self.rooms.get(namespace, {}) and room is not None and ":" in room:
            self._on_interest(room, False)

    def basic_disconnect(self, sid, namespace, **kwargs):
        """python-socketio finds a leaving socket's rooms by copying and scanning every room of the
        namespace, so each disconnect cost as much as all connections together (a storm of them
        after a network blip was quadratic); the rooms each socket joined are known here."""
        for room in self._joined.pop((namespace, sid), ()):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            if sid in pending.get(namespace, ()):
                pending[namespace].remove(sid)
                if not pending[namespace]:
                    del pending[namespace]

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback is not None:  # a per-recipient ack id: each packet differs
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      to=to, **kwargs)
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        skip = set(skip_sid) if isinstance(skip_sid, list) else {skip_sid}
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, part)
                  for part in (encoded if isinstance(encoded, list) else [encoded])]
        # One websocket frame for every recipient that can take it directly (no binary attachments).
        framed = ws_frame(frames[0].encode()) if len(frames) == 1 else None
        sockets = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            if framed is not None and socket.take_now(framed):  # the common case: nothing backed up
                continue
            if self._over_hard_backlog(socket, sid):
                continue
            if socket.queue.qsize() >= self.soft_backlog and event in DROPPABLE:
                metrics.SLOW_CLIENTS.labels("dropped").inc()
                continue
            for frame in frames:
                await socket.send(frame)  # an unbounded queue: this never waits

    def cut_off_if_backlogged(self, eio_sid: str) -> bool:
        """For packets sent to one socket (acks, CONNECT, DISCONNECT): whether its backlog is
        past the hard bound, in which case the connection is being closed and the packet goes
        nowhere. Without this, acks to a client that sends but never reads queue without limit."""
        socket = self.server.eio.sockets.get(eio_sid)
        return socket is not None and self._over_hard_backlog(socket, self.sid_from_eio_sid(eio_sid, "/"))

    def _over_hard_backlog(self, socket, sid: str | None) -> bool:
        backlog = socket.queue.qsize()
        if backlog < self.hard_backlog and socket.queue.bytes < self.hard_backlog_bytes:
            return False
        if not getattr(socket, "chat_cut_off", False):  # once per socket, however many packets follow
            socket.chat_cut_off = True
            metrics.SLOW_CLIENTS.labels("closed").inc()
            log.warning("closing a socket that does not read",
                        extra={"sid": sid, "backlog": backlog, "backlogBytes": socket.queue.bytes})
            asyncio.get_running_loop().create_task(self._drop_connection(socket.sid))
        return True

    async def _drop_connection(self, eio_sid: str) -> None:
        socket = self.server.eio.sockets.get(eio_sid)
        if socket is not None:
            # abort: a close packet would only queue behind the backlog the client is not reading
            abort_transport(socket)
            await socket.close(wait=False, abort=True)
