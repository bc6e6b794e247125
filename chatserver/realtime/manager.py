"""python-socketio's room bookkeeping, reporting when this process's first socket enters
a room and its last one leaves, so the broker subscribes only to rooms it has sockets in."""

from __future__ import annotations

from collections.abc import Callable

import socketio


class InterestManager(socketio.AsyncManager):
    def __init__(self, on_interest: Callable[[str, bool], None]) -> None:
        super().__init__()
        self._on_interest = on_interest

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        was_new = room not in self.rooms.get(namespace, {})
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if was_new and room is not None and ":" in room:
            self._on_interest(room, True)

    def basic_leave_room(self, sid, namespace, room):
        existed = room in self.rooms.get(namespace, {})
        super().basic_leave_room(sid, namespace, room)
        if existed and room not in self.rooms.get(namespace, {}) and room is not None and ":" in room:
            self._on_interest(room, False)
