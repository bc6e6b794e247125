"""Fan-out across processes through Redis pub/sub, routed by room.

An event is published once on the channel of each room it names, and each
process subscribes only to the rooms it has sockets in (python-socketio's own
Redis manager sends every event to every process on one channel instead;
`FANOUT_MODE=broadcast` does that, for comparison). A process that hears an
event on several of its rooms delivers it once: each event carries an id.
Payloads are msgpack. Redis only carries notifications: what a process misses
while Redis is away, its clients repair with `sync`.

A room is heard only once Redis has answered its SUBSCRIBE (what was published
before is never delivered here); then the broker tells `on_subscribed`, and the
stream ordering reads back what it could have missed (realtime.ordering).

On a Redis Cluster (`cluster=True`) room channels are sharded: SPUBLISH goes to
the one master owning the channel's slot, instead of PUBLISH being copied to
every node, and chatserver.broker.sharded keeps the SSUBSCRIBEs on the owners.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, OrderedDict

import msgpack
import redis.asyncio as redis

from chatserver import metrics
from chatserver.background import cancel
from chatserver.broker.base import Deliver, Event, Position, Subscribed
from chatserver.broker.sharded import ShardedSubscriber

log = logging.getLogger(__name__)

_REMEMBERED_IDS = 8192


def _packed_position(position: Position | None) -> list | None:
    if position is None:
        return None
    return [position.kind, position.stream_id, position.change_seq, position.seq]


class RedisBroker:
    def __init__(self, url: str, *, mode: str = "rooms", prefix: str = "chat", cluster: bool = False) -> None:
        assert mode in ("rooms", "broadcast"), mode
        self.mode = mode
        self.prefix = prefix
        self.process_id = uuid.uuid4().hex
        self._publisher = redis.RedisCluster.from_url(url) if cluster else redis.from_url(url)
        self._subscriber = None if cluster else redis.from_url(url)
        self._sharded = (ShardedSubscriber(self._publisher, url, self._handle, self._channel_subscribed)
                         if cluster else None)
        self._deliverers: list[Deliver] = []
        self._on_subscribed: list[Subscribed] = []
        self._wanted: set[str] = set()
        self._subscribed: set[str] = set()
        self._heard: set[str] = set()  # rooms whose SUBSCRIBE Redis answered, with nothing sent for them since
        self._unanswered: Counter[str] = Counter()  # room -> its (UN)SUBSCRIBEs Redis has not answered yet
        self._changed = asyncio.Event()
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._pubsub: redis.client.PubSub | None = None
        self._connected = False
        self._stopping = False  # besides cancellation, which a timeout inside redis-py can swallow (Python 3.11)
        self._tasks: list[asyncio.Task] = []

    # what the core uses

    def on_event(self, deliver: Deliver) -> None:
        self._deliverers.append(deliver)

    def on_subscribed(self, subscribed: Subscribed) -> None:
        self._on_subscribed.append(subscribed)

    def interest(self, room: str, wanted: bool) -> None:
        if self.mode == "broadcast":
            if wanted:  # one channel, subscribed at start, carries every room
                self._tell_subscribed(room)
            return
        if self._sharded is not None:
            self._sharded.want(self._channel(room), wanted)
            return
        (self._wanted.add if wanted else self._wanted.discard)(room)
        self._changed.set()
        if wanted and room in self._heard:  # left and entered again before it was unsubscribed
            self._tell_subscribed(room)

    def _tell_subscribed(self, room: str) -> None:
        for subscribed in self._on_subscribed:
            subscribed(room)

    def _room_of(self, channel: str) -> str | None:
        prefix = f"{self.prefix}:room:"
        return channel[len(prefix):] if channel.startswith(prefix) else None

    def _channel_subscribed(self, channel: str) -> None:
        """The cluster subscriber has a channel's SSUBSCRIBE answered."""
        room = self._room_of(channel)
        if room is not None:
            self._tell_subscribed(room)

    def healthy(self) -> bool:
        connected = self._sharded.settled if self._sharded is not None else self._connected
        return connected and all(not task.done() for task in self._tasks)

    def _channel(self, room: str) -> str:
        return f"{self.prefix}:room:{room}" if self.mode == "rooms" else f"{self.prefix}:all"

    async def publish(self, event: Event) -> None:
        payload = msgpack.packb({
            "i": uuid.uuid4().bytes, "n": event.name, "d": event.data, "r": list(event.rooms),
            "s": event.skip_sid, "u": event.skip_user, "x": event.disconnect, "t": time.time(),
            "p": _packed_position(event.position),
        })
        channels = {self._channel(room) for room in event.rooms}
        async with self._publisher.pipeline(transaction=False) as pipe:
            for channel in channels:
                if self._sharded is not None:
                    pipe.spublish(channel, payload)
                else:
                    pipe.publish(channel, payload)
            await pipe.execute()
        metrics.EVENTS_PUBLISHED.labels(event.name).inc()

    # the subscriber

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._sharded is not None:
            # The process channel keeps a subscription, so readiness means "can hear" even with no rooms yet.
            self._sharded.want(f"{self.prefix}:process:{self.process_id}", True)
            if self.mode == "broadcast":
                self._sharded.want(self._channel(""), True)
            self._tasks = [loop.create_task(self._sharded.run(), name="redis-shard-subscriber")]
        else:
            self._tasks = [loop.create_task(self._run(), name="redis-subscriber")]
        # Wait briefly for the first subscription, so a process reports ready only once it can hear.
        for _ in range(50):
            if self.healthy():
                break
            await asyncio.sleep(0.05)

    async def _run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            pubsub = self._subscriber.pubsub()  # the (un)subscribe answers tell when a room is heard
            try:
                # A process channel keeps the connection subscribed even with no rooms yet.
                await pubsub.subscribe(f"{self.prefix}:process:{self.process_id}")
                if self.mode == "broadcast":
                    await pubsub.subscribe(self._channel(""))
                self._subscribed = set()
                self._unanswered.clear()
                self._pubsub = pubsub
                self._connected = True
                backoff = 0.2
                self._changed.set()
                sync_task = asyncio.get_running_loop().create_task(self._keep_subscriptions(pubsub))
                try:
                    await self._read(pubsub)
                finally:
                    sync_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sync_task
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._connected:
                    log.warning("redis subscriber lost its connection: %s; reconnecting", exc)
            finally:
                self._connected = False
                self._heard.clear()
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            metrics.FANOUT_RECONNECTS.inc()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _keep_subscriptions(self, pubsub) -> None:
        while not self._stopping:
            await self._changed.wait()
            self._changed.clear()
            wanted = set(self._wanted)
            add = wanted - self._subscribed
            drop = self._subscribed - wanted
            # Counted before sending, as Redis may answer before the send returns.
            if add:
                self._unanswered.update(add)
                self._subscribed |= add
                await pubsub.subscribe(*(self._channel(room) for room in add))
            if drop:
                self._unanswered.update(drop)
                self._subscribed -= drop
                self._heard -= drop
                await pubsub.unsubscribe(*(self._channel(room) for room in drop))
            metrics.FANOUT_SUBSCRIPTIONS.set(len(self._subscribed))

    async def _read(self, pubsub) -> None:
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None:
                continue
            kind = message.get("type")
            if kind == "message":
                await self._handle(message["data"])
            elif kind in ("subscribe", "unsubscribe"):
                self._answered(message["channel"].decode(), subscribed=kind == "subscribe")

    def _answered(self, channel: str, *, subscribed: bool) -> None:
        """Redis answered one (UN)SUBSCRIBE of `channel` (one answer per channel named); the
        answer to the last one sent for a room tells whether Redis now sends it here."""
        room = self._room_of(channel)
        if room is None:
            return
        if self._unanswered[room] > 1:
            self._unanswered[room] -= 1
            return
        self._unanswered.pop(room, None)
        if subscribed:
            self._heard.add(room)
            self._tell_subscribed(room)

    async def _handle(self, raw: bytes) -> None:
        try:
            payload = msgpack.unpackb(raw)
        except Exception:
            log.warning("undecodable fan-out payload dropped")
            return
        event_id = payload["i"]
        if event_id in self._seen:
            return
        self._seen[event_id] = None
        if len(self._seen) > _REMEMBERED_IDS:
            self._seen.popitem(last=False)
        metrics.EVENTS_RECEIVED.labels(payload["n"]).inc()
        metrics.FANOUT_LAG.observe(max(0.0, time.time() - payload["t"]))
        event = Event(payload["n"], payload["d"], rooms=tuple(payload["r"]), skip_sid=payload["s"],
                      skip_user=payload["u"], disconnect=payload["x"],
                      position=Position(*payload["p"]) if payload.get("p") else None)
        for deliver in self._deliverers:
            try:
                await deliver(event)
            except Exception:
                log.exception("delivering %s failed", event.name)

    async def close(self) -> None:
        self._stopping = True
        self._changed.set()
        if self._sharded is not None:
            self._sharded.stop()
        await cancel(*self._tasks)
        self._deliverers.clear()
        self._on_subscribed.clear()
        await self._publisher.aclose()
        if self._subscriber is not None:
            await self._subscriber.aclose()
