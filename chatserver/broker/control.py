"""Control events: instructions to the socket layer, never sent to clients.

A membership change made anywhere (an HTTP call, another socket, another
process) must move the user's sockets in or out of rooms on every process;
the instruction travels through the broker like any event, to the user's room.

A join into a stream room (a channel or direct conversation) also carries where
the stream stood in the transaction that made the membership, `at`: the
receiving process delivers every change after it to the joining sockets, even
one committed (and published) before it handled the join (realtime.ordering).
Processes that predate `at` ignore it; one without it orders as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from chatserver.broker import rooms
from chatserver.broker.base import Event

ROOMS = "$rooms"

StreamAt = tuple[int, int]  # (last seq, last changeSeq) of a stream


def is_control(event: Event) -> bool:
    return event.name.startswith("$")


def stream_at(row: Mapping[str, Any]) -> StreamAt:
    """Where a channel or conversation row read in the membership's transaction stands."""
    return (row["last_seq"], row["last_change_seq"])


def move_rooms(user_id: UUID, *, join: Iterable[str] = (), leave: Iterable[str] = (),
               at: Mapping[str, StreamAt] | None = None) -> Event:
    data: dict[str, Any] = {"join": list(join), "leave": list(leave)}
    if at:
        data["at"] = {room: [seq, change_seq] for room, (seq, change_seq) in at.items()}
    return Event(ROOMS, data, rooms=(rooms.user(user_id),))


def joined_at(event: Event) -> dict[str, StreamAt]:
    """The stream positions a `move_rooms` carries, by room; none from an older process."""
    found = event.data.get("at")
    if not isinstance(found, dict):
        return {}
    positions = {}
    for room, position in found.items():
        if (isinstance(position, list | tuple) and len(position) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in position)):
            positions[room] = (position[0], position[1])
    return positions
