"""Control events: instructions to the socket layer, never sent to clients.

A membership change made anywhere (an HTTP call, another socket, another
process) must move the user's sockets in or out of rooms on every process;
the instruction travels through the broker like any event, to the user's room.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from chatserver.broker import rooms
from chatserver.broker.base import Event

ROOMS = "$rooms"


def is_control(event: Event) -> bool:
    return event.name.startswith("$")


def move_rooms(user_id: UUID, *, join: Iterable[str] = (), leave: Iterable[str] = ()) -> Event:
    return Event(ROOMS, {"join": list(join), "leave": list(leave)}, rooms=(rooms.user(user_id),))
