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

A join (`dm:open`, being added to a channel) carries where the stream stood in
the transaction that made the membership (broker.control `at`). A change
committed after it may be published before this process handles the join: the
joining sockets are not in the room yet, and a start position read then would
count it as already delivered. So where the join brings the stream's first
sockets here, the stream starts at the join's position instead (no read: the
catch-up above reads back what came after it), and where the room already has
sockets and has gone past the join's position, the joining sockets alone are
sent what they missed of it (read back from PostgreSQL, as each message stands
now, up to the last change the room was sent before they entered), ahead of
whatever the room is sent after (`joining`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from chatserver import metrics
from chatserver.broker import Event, rooms

log = logging.getLogger(__name__)

HOLD_SECONDS = 0.25

Emit = Callable[[Event], Awaitable[None]]
LoadPositions = Callable[[list[tuple[str, str]]], Awaitable[dict[tuple[str, str], tuple[int, int]]]]
FetchMissed = Callable[[str, str, int, int], Awaitable[list[Event]]]
Position = tuple[int, int]  # (last seq, last changeSeq) of a stream


@dataclass(slots=True)
class _Backfill:
    """Sockets that entered a stream's room after the room was sent changes past their join: what
    they missed, (after_change, upto], goes to them alone, ahead of what the room is sent next."""
    sids: tuple[str, ...]
    after_change: int
    after_seq: int
    upto: int = 0


@dataclass(slots=True)
class _Stream:
    room: str
    kind: str
    stream_id: str
    last_change: int | None = None  # None until the starting position is known
    last_seq: int = 0
    held: dict[int, Event] = field(default_factory=dict)
    outbox: deque[Event | _Backfill] = field(default_factory=deque)
    sent: int | None = None  # the last changeSeq the room's sockets were sent (or started after)
    joining: list[_Backfill] = field(default_factory=list)  # joins handled while the start is read
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
        self._backfilling: set[asyncio.Task] = set()

    # following streams

    def follow(self, room: str, at: Position | None = None) -> None:
        """This process now has sockets in `room`; from here on its changes are ordered. `at`: where
        the stream starts, when known (a join's position): every change after it is delivered."""
        stream = rooms.stream_of(room)
        if stream is None or room in self._streams:
            return
        state = self._streams[room] = _Stream(room, *stream)
        if at is not None:  # no read: once the room is heard, what came after `at` is read back
            state.last_seq, state.last_change = at
            state.sent = state.last_change
            state.catch_up = True
            return
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

    def joining(self, room: str, at: Position | None, sids: Sequence[str]) -> None:
        """`sids` are about to enter `room` because their user joined the stream at `at` (a move_rooms
        control event): the stream starts there if they are its first sockets here, else they are
        sent what the room was sent after `at` before they came. Without `at` (a process that
        predates it), or outside streams, the room is entered as before."""
        if at is None or rooms.stream_of(room) is None or not sids:
            return
        state = self._streams.get(room)
        if state is None:
            self.follow(room, at)
            return
        backfill = _Backfill(tuple(sids), after_change=at[1], after_seq=at[0])
        if state.last_change is None:  # its start is being read: compared with it once known
            state.joining.append(backfill)
        else:
            self._backfill(state, backfill)

    def _backfill(self, state: _Stream, backfill: _Backfill) -> None:
        if state.sent is None or state.sent <= backfill.after_change:
            return  # nothing sent to the room that the joining sockets miss (the usual case)
        backfill.upto = state.sent
        state.outbox.appendleft(backfill)  # before what the room is sent next, which they will be sent
        if not state.emitting:  # a task: the joining sockets' read does not hold the broker's delivery
            task = asyncio.get_running_loop().create_task(self._drain(state), name="stream-backfill")
            self._backfilling.add(task)
            task.add_done_callback(self._backfilling.discard)

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
            # Held by object: a room unfollowed and followed again meanwhile is a new stream.
            states = [self._streams[room] for room in batch if room in self._streams]
            for state in states:  # read before the room is heard: what comes in between is read back then
                state.catch_up = not state.heard
            try:
                positions = await self._load_positions([(state.kind, state.stream_id) for state in states])
            except Exception as exc:  # PostgreSQL away: order from the first event that arrives instead
                log.warning("reading stream positions failed: %s", exc)
                positions = {}
            for state in states:
                if self._streams.get(state.room) is not state:
                    continue
                last_seq, last_change = positions.get((state.kind, state.stream_id), (None, None))
                if last_change is None:  # unknown: start just before the earliest held event
                    last_change = min(state.held, default=None)
                    last_change = None if last_change is None else last_change - 1
                    last_seq = 0
                state.last_seq = last_seq
                joining, state.joining = state.joining, []
                if last_change is None:
                    state.last_change = -1  # accept whatever comes first
                    state.catch_up = False  # from nowhere known
                else:
                    state.last_change = state.sent = last_change
                    if state.catch_up and state.heard:
                        self._start_catch_up(state)
                    for backfill in joining:  # joined before the read: they miss what it skips
                        self._backfill(state, backfill)
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
            state.last_change = state.sent = position.change_seq - 1
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
                if isinstance(event, _Backfill):
                    await self._send_backfill(state, event)
                    continue
                if event.position is not None:  # from here on, sockets entering the room miss it
                    state.sent = max(state.sent or 0, event.position.change_seq)
                try:
                    await self._emit(event)
                except Exception:
                    log.exception("delivering %s failed", event.name)
        finally:
            state.emitting = False

    async def _send_backfill(self, state: _Stream, backfill: _Backfill) -> None:
        """What joining sockets missed of the stream: each message changed in (after_change, upto],
        as it stands now, to them alone. One changed again since is left to the room's later
        events (the sockets see the gap and `sync`); the room's events wait meanwhile."""
        try:
            missed = await self._fetch_missed(state.kind, state.stream_id, backfill.after_change,
                                              backfill.after_seq)
        except Exception as exc:  # clients see the gap at the next event and `sync`
            log.warning("reading a stream's changes for joining sockets failed: %s", exc)
            return
        metrics.ORDERING.labels("joined_late").inc()
        for event in missed:
            if event.position is not None and backfill.after_change < event.position.change_seq <= backfill.upto:
                try:
                    await self._emit(dataclasses.replace(event, rooms=backfill.sids))
                except Exception:
                    log.exception("delivering %s failed", event.name)

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
