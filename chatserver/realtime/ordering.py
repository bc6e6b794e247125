"""Each stream's changes reach this process's sockets in changeSeq order, once.

Changes to a channel or direct conversation are numbered without gaps by
PostgreSQL (the stream row's counter, taken under its lock, so in commit
order), but they are published after the commit by whichever coroutine, and
on whichever process, made them: two concurrent sends can be published in
either order, and Redis interleaves the publishers. Here, on the receiving
side, each stream this process has sockets in remembers the last changeSeq it
delivered. The next one goes out at once; one that comes early is held until
those before it arrive, or, after HOLD_SECONDS, what is missing is read back
from PostgreSQL and delivered in its place. One that comes late (already
delivered, or already read back) is dropped. Events of other rooms (users,
workspaces, typing, presence) carry no position and pass straight through.

Where a process starts following a stream (its first socket there) the last
changeSeq is read from PostgreSQL, so the first events are ordered as well;
`settled()` waits for that, so a `ready` snapshot taken after it never misses
what this process will not deliver.

That position is read at once, but the broker hears the stream's events only
once its subscription is in place (Redis answers it a moment later), and a
change published in between would never arrive. So when the broker tells
that the room is heard (`subscribed`) after the position was read, the
position is read again, and if the stream moved on, what was stored since is
read back from PostgreSQL and delivered in its place: every change committed
after that second read is published after it, so is heard. (Reading the
position only once the room is heard would need no second read, but would
start later, missing what was committed meanwhile.)
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from chatserver import metrics
from chatserver.broker import Event, rooms

log = logging.getLogger(__name__)

HOLD_SECONDS = 0.25

Emit = Callable[[Event], Awaitable[None]]
LoadPositions = Callable[[list[tuple[str, str]]], Awaitable[dict[tuple[str, str], tuple[int, int]]]]
FetchMissed = Callable[[str, str, int, int], Awaitable[list[Event]]]


@dataclass(slots=True)
class _Stream:
    room: str
    kind: str
    stream_id: str
    last_change: int | None = None  # None until the starting position is known
    last_seq: int = 0
    held: dict[int, Event] = field(default_factory=dict)
    outbox: deque[Event] = field(default_factory=deque)
    emitting: bool = False
    timer: asyncio.TimerHandle | None = None
    filling: bool = False
    heard: bool = False  # the broker's subscription to the room is in place
    catch_up: bool = False  # the position was read before it was: read what came in between once it is


class StreamOrder:
    def __init__(self, emit: Emit, load_positions: LoadPositions, fetch_missed: FetchMissed) -> None:
        self._emit = emit
        self._load_positions = load_positions
        self._fetch_missed = fetch_missed
        self._streams: dict[str, _Stream] = {}
        self._to_load: set[str] = set()
        self._loading: asyncio.Task | None = None
        self._to_catch_up: dict[str, _Stream] = {}
        self._catching_up: asyncio.Task | None = None

    # following streams

    def follow(self, room: str) -> None:
        """This process now has sockets in `room`; from here on its changes are ordered."""
        stream = rooms.stream_of(room)
        if stream is None or room in self._streams:
            return
        self._streams[room] = _Stream(room, *stream)
        self._to_load.add(room)
        if self._loading is None or self._loading.done():
            self._loading = asyncio.get_running_loop().create_task(self._load(), name="stream-positions")

    def subscribed(self, room: str) -> None:
        """The broker hears `room` from now on (its subscription is in place, or in place again)."""
        state = self._streams.get(room)
        if state is None or state.heard:
            return
        state.heard = True
        if state.catch_up and state.last_change is not None:
            self._start_catch_up(state)
        # else: the position is read from now on (or is being read and _load catches up)

    def unfollow(self, room: str) -> None:
        state = self._streams.pop(room, None)
        self._to_load.discard(room)
        if state is not None and state.timer is not None:
            state.timer.cancel()

    async def settled(self) -> None:
        """Wait until every followed stream knows where it starts."""
        while self._loading is not None and not self._loading.done():
            await asyncio.wait([self._loading])  # never raises: a failed load orders from the first event

    async def _load(self) -> None:
        await asyncio.sleep(0)  # gather the rooms of every socket that connects in this turn
        while self._to_load:
            batch, self._to_load = self._to_load, set()
            wanted = [(self._streams[room].kind, self._streams[room].stream_id)
                      for room in batch if room in self._streams]
            for room in batch:  # read before the room is heard: what comes in between is read back then
                if (state := self._streams.get(room)) is not None:
                    state.catch_up = not state.heard
            try:
                positions = await self._load_positions(wanted)
            except Exception as exc:  # PostgreSQL away: order from the first event that arrives instead
                log.warning("reading stream positions failed: %s", exc)
                positions = {}
            for room in batch:
                state = self._streams.get(room)
                if state is None:
                    continue
                last_seq, last_change = positions.get((state.kind, state.stream_id), (None, None))
                if last_change is None:  # unknown: start just before the earliest held event
                    last_change = min(state.held, default=None)
                    last_change = None if last_change is None else last_change - 1
                    last_seq = 0
                state.last_seq = last_seq
                if last_change is None:
                    state.last_change = -1  # accept whatever comes first
                    state.catch_up = False  # from nowhere known
                else:
                    state.last_change = last_change
                    if state.catch_up and state.heard:
                        self._start_catch_up(state)
                    self._release(state)
                    await self._drain(state)

    # delivering

    async def deliver(self, event: Event) -> None:
        position = event.position
        state = self._streams.get(position.room) if position is not None else None
        if state is None:
            await self._emit(event)
            return
        if state.last_change == -1:
            state.last_change = position.change_seq - 1
        if state.last_change is not None and position.change_seq <= state.last_change:
            metrics.ORDERING.labels("late").inc()
            return
        state.held[position.change_seq] = event
        if state.last_change is not None:
            self._release(state)
        await self._drain(state)

    def _release(self, state: _Stream) -> None:
        """Move the held events that are next in line to the outbox; watch for a gap if some remain."""
        while (event := state.held.pop(state.last_change + 1, None)) is not None:
            self._advance(state, event)
        for change_seq in [seq for seq in state.held if seq <= state.last_change]:
            del state.held[change_seq]
        if state.held and state.timer is None and not state.filling:
            metrics.ORDERING.labels("held").inc()
            state.timer = asyncio.get_running_loop().call_later(HOLD_SECONDS, self._gap_timed_out, state)
        elif not state.held and state.timer is not None:
            state.timer.cancel()
            state.timer = None

    def _advance(self, state: _Stream, event: Event) -> None:
        position = event.position
        assert position is not None
        state.last_change = max(state.last_change or 0, position.change_seq)
        if position.seq is not None:
            state.last_seq = max(state.last_seq, position.seq)
        state.outbox.append(event)

    async def _drain(self, state: _Stream) -> None:
        """Emit the outbox in order; one drainer per stream at a time keeps it in order."""
        if state.emitting:
            return
        state.emitting = True
        try:
            while state.outbox:
                event = state.outbox.popleft()
                try:
                    await self._emit(event)
                except Exception:
                    log.exception("delivering %s failed", event.name)
        finally:
            state.emitting = False

    # gaps

    def _gap_timed_out(self, state: _Stream) -> None:
        state.timer = None
        if self._streams.get(state.room) is state and state.held:
            state.filling = True
            asyncio.get_running_loop().create_task(self._fill(state), name="stream-gap")

    async def _fill(self, state: _Stream) -> None:
        """Read what never arrived back from PostgreSQL: every message changed since the last
        delivered change, as its current state; held events it already covers are dropped."""
        metrics.ORDERING.labels("gap_filled").inc()
        try:
            missed = await self._fetch_missed(state.kind, state.stream_id, state.last_change, state.last_seq)
        except Exception as exc:  # deliver what is held; clients see the gap and `sync`
            log.warning("reading a stream's missed changes failed: %s", exc)
            missed = []
        finally:
            state.filling = False
        for event in missed:
            if event.position is not None and event.position.change_seq > state.last_change:
                self._advance(state, event)
        if state.held and min(state.held) > state.last_change + 1 and not missed:
            state.last_change = min(state.held) - 1  # not stored either: give up on it
        self._release(state)
        await self._drain(state)

    # the start of a stream

    def _start_catch_up(self, state: _Stream) -> None:
        state.catch_up = False
        self._to_catch_up[state.room] = state
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.get_running_loop().create_task(self._catch_up(), name="stream-catch-up")

    async def _catch_up(self) -> None:
        """Once rooms are heard: where a stream moved on since its start position was read, read
        back what was stored meanwhile, published while nothing here listened (one query for the
        positions of every room heard in this turn, one per stream that moved). What was also
        heard live is delivered once."""
        await asyncio.sleep(0)  # gather the rooms whose subscriptions were answered together
        while self._to_catch_up:
            batch, self._to_catch_up = self._to_catch_up, {}
            states = [state for room, state in batch.items() if self._streams.get(room) is state]
            if not states:
                continue
            try:
                positions = await self._load_positions([(state.kind, state.stream_id) for state in states])
            except Exception as exc:  # clients see the gap at the next event and `sync`
                log.warning("reading stream positions failed: %s", exc)
                continue
            for state in states:
                _, last_change = positions.get((state.kind, state.stream_id), (None, None))
                if last_change is None or last_change <= state.last_change:
                    continue  # nothing stored that was not delivered (the usual case)
                if self._streams.get(state.room) is not state:
                    continue
                try:
                    missed = await self._fetch_missed(state.kind, state.stream_id, state.last_change, state.last_seq)
                except Exception as exc:
                    log.warning("reading a stream's missed changes failed: %s", exc)
                    continue
                if self._streams.get(state.room) is not state:
                    continue
                metrics.ORDERING.labels("caught_up").inc()
                for event in missed:
                    if event.position is not None and event.position.change_seq > state.last_change:
                        self._advance(state, event)
                self._release(state)
                await self._drain(state)
