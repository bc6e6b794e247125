"""The broker interface and the event it carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chatserver.broker import rooms


@dataclass(frozen=True, slots=True)
class Position:
    """Where a change stands in its stream (a channel or direct conversation): the changeSeq it
    took, and for a new message its seq. Each stream's changeSeqs have no gaps, so a receiver can
    tell when one is missing and deliver in order (realtime.ordering)."""

    kind: str  # "channel" or "conversation"
    stream_id: str
    change_seq: int
    seq: int | None = None  # set on the event that brings a new message

    @property
    def room(self) -> str:
        return rooms.stream(self.kind, self.stream_id)


@dataclass(frozen=True, slots=True)
class Event:
    """One server-to-client event for the sockets in `rooms`: the name and the payload, already
    dumped for the wire, of an event declared in chatserver/schemas/events.py (which builds it:
    `EVENT.to(rooms, payload)`), or a control event (broker.control).

    `skip_sid` leaves out the socket that caused it and `skip_user` every
    socket of that user (typing goes to everyone but the typer); `disconnect`
    closes the receiving sockets once it has been sent (`session:revoked`);
    `position` orders the changes of a stream.
    """

    name: str
    data: dict[str, Any]
    rooms: tuple[str, ...]
    skip_sid: str | None = None
    skip_user: str | None = None
    disconnect: bool = False
    position: Position | None = None


Deliver = Callable[[Event], Awaitable[None]]
Subscribed = Callable[[str], None]


class Broker(Protocol):
    async def publish(self, event: Event) -> None:
        """Hand `event` to every process; never raises for a delivery problem."""

    def on_event(self, deliver: Deliver) -> None:
        """Register this process's deliverer for events that arrive."""

    def on_subscribed(self, subscribed: Subscribed) -> None:
        """Register what to tell, with the room, when events published to a room this process wants
        reach it from then on: once the subscription `interest` asked for is in place (at once, inside
        `interest`, when it already is or none is needed), and again whenever it is made anew after a
        lost link. Whatever was published to the room before that may never arrive."""

    def interest(self, room: str, wanted: bool) -> None:
        """This process now has (or no longer has) sockets in `room`: start (or stop) receiving its events."""

    def healthy(self) -> bool:
        """False while events published elsewhere cannot reach this process."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...
