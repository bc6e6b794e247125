"""Sharded pub/sub subscriptions on a Redis Cluster, kept on the node that owns each channel.

In a cluster, SSUBSCRIBE works only on the master that owns the channel's hash slot, so a process
holds one subscriber connection per master it needs. Whenever the cluster changes under it (a node's
connection drops, a failover promotes a replica, a slot moves and the node answers with an
`sunsubscribe` of its own) the slot map is read again and each channel subscribed where it now
lives. From a lost link until its channels are subscribed again the subscriber is not healthy, so
/readyz shows it; what was published meanwhile is repaired by clients with `sync`. Each time a
node answers a channel's SSUBSCRIBE (with nothing else sent for it since), `subscribed` is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable

import redis.asyncio as redis
from redis.asyncio.connection import parse_url
from redis.backoff import NoBackoff
from redis.retry import Retry

from chatserver import metrics

log = logging.getLogger(__name__)

Receive = Callable[[bytes], Awaitable[None]]
Subscribed = Callable[[str], None]


class _NodeLink:
    """One subscriber connection to one master, and the channels subscribed on it."""

    def __init__(self, url: str, host: str, port: int, receive: Receive, lost: Callable[[], None],
                 subscribed: Subscribed) -> None:
        # No retries of its own: a node that went away is the subscriber's to handle, with a fresh slot map.
        options = {**parse_url(url), "host": host, "port": port, "db": 0, "retry": Retry(NoBackoff(), 0),
                   "socket_connect_timeout": 5, "socket_keepalive": True}
        self.client = redis.Redis(connection_pool=redis.ConnectionPool(**options))
        self.pubsub = self.client.pubsub()
        self.channels: set[str] = set()
        self.heard: set[str] = set()  # channels whose SSUBSCRIBE the node answered, nothing sent for them since
        self._unanswered: Counter[str] = Counter()  # channel -> its SSUBSCRIBEs and SUNSUBSCRIBEs not answered yet
        self._leaving: set[str] = set()
        self._receive = receive
        self._lost = lost
        self._subscribed = subscribed
        self._reader: asyncio.Task | None = None
        self.broken = False

    async def add(self, channels: set[str]) -> None:
        try:
            for channel in channels:  # one command per channel: in a cluster, one SSUBSCRIBE names one slot
                self._unanswered[channel] += 1  # before sending: the answer may come before the send returns
                self.channels.add(channel)
                await self.pubsub.ssubscribe(channel)
        except Exception:
            self.broken = True
            raise
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._read(), name="redis-shard-reader")

    async def drop(self, channels: set[str]) -> None:
        self.channels -= channels
        self.heard -= channels
        self._leaving |= channels
        for channel in channels:
            self._unanswered[channel] += 1
            await self.pubsub.sunsubscribe(channel)

    def _answered(self, channel: str) -> bool:
        """The node answered one command for `channel`; True when none is left unanswered."""
        if self._unanswered[channel] > 1:
            self._unanswered[channel] -= 1
            return False
        self._unanswered.pop(channel, None)
        return True

    async def _read(self) -> None:
        try:
            while True:
                message = await self.pubsub.get_message(timeout=None)
                if message is None:
                    continue
                kind = message["type"]
                if kind == "smessage":
                    await self._receive(message["data"])
                elif kind == "ssubscribe":
                    channel = message["channel"].decode()
                    if self._answered(channel) and channel in self.channels:
                        self.heard.add(channel)
                        self._subscribed(channel)
                elif kind == "sunsubscribe":
                    channel = message["channel"].decode()
                    if channel in self._leaving:
                        self._leaving.discard(channel)
                        self._answered(channel)
                    elif channel in self.channels:  # the node gave the slot away: subscribe where it went
                        self.channels.discard(channel)
                        self.heard.discard(channel)
                        self._lost()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("redis cluster subscriber lost a node: %s; resubscribing", exc)
            self.broken = True
            self._lost()

    async def close(self) -> None:
        if self._reader is not None:
            # Not background.cancel: it would also swallow a cancellation of the task closing this link.
            self._reader.cancel()
            await asyncio.wait([self._reader])
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()
        with contextlib.suppress(Exception):
            await self.client.aclose()


class ShardedSubscriber:
    def __init__(self, cluster: redis.RedisCluster, url: str, receive: Receive, subscribed: Subscribed) -> None:
        self.cluster = cluster
        self.url = url
        self._receive = receive
        self._subscribed = subscribed
        self._wanted: set[str] = set()
        self._links: dict[str, _NodeLink] = {}
        self._changed = asyncio.Event()
        self._stale_map = True  # read the slot map before the first subscription
        self._stopping = False
        # Every node link is up on the current slot map (rooms being added meanwhile are ordinary
        # business, not a reason to look unready).
        self.settled = False

    def want(self, channel: str, wanted: bool) -> None:
        (self._wanted.add if wanted else self._wanted.discard)(channel)
        self._changed.set()
        if wanted and any(channel in link.heard and not link.broken for link in self._links.values()):
            self._subscribed(channel)  # left and wanted again before it was unsubscribed

    def _lost(self) -> None:
        self.settled = False
        self._stale_map = True
        self._changed.set()

    def stop(self) -> None:
        """Ends run() at its next step; cancelling alone is not enough, as a timeout inside redis-py
        can swallow a cancellation on Python 3.11."""
        self._stopping = True
        self._changed.set()

    async def run(self) -> None:
        backoff = 0.2
        try:
            while not self._stopping:
                try:
                    if self._stale_map:
                        self._stale_map = False
                        await self.cluster.nodes_manager.initialize()
                    self._changed.clear()
                    await self._reconcile()
                    self.settled = not self._stale_map  # unless a link was lost meanwhile
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # A failover takes the cluster's node timeout: a warning once, then a retry every 2 s at most.
                    (log.info if backoff > 0.2 else log.warning)(
                        "redis cluster subscriber cannot subscribe yet: %s; retrying", exc)
                    metrics.FANOUT_RECONNECTS.inc()
                    self._lost()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                await self._changed.wait()
        finally:
            self.settled = False
            await asyncio.gather(*(link.close() for link in self._links.values()))
            self._links.clear()

    async def _reconcile(self) -> None:
        """Make the links match the wanted channels and the cluster's current slot map."""
        for name, link in list(self._links.items()):
            if link.broken:
                await link.close()
                del self._links[name]
        owners: dict[str, list[str]] = defaultdict(list)
        nodes = {}
        for channel in self._wanted:
            node = self.cluster.get_node_from_key(channel)  # the master owning the slot
            owners[node.name].append(channel)
            nodes[node.name] = node
        for name, link in list(self._links.items()):
            away = link.channels - set(owners.get(name, ()))
            if away:
                await link.drop(away)
            if not link.channels:
                await link.close()
                del self._links[name]
        for name, channels in owners.items():
            link = self._links.get(name)
            if link is None:
                node = nodes[name]
                link = _NodeLink(self.url, node.host, int(node.port), self._receive, self._lost, self._subscribed)
                self._links[name] = link
            missing = set(channels) - link.channels
            if missing:
                await link.add(missing)
        metrics.FANOUT_SUBSCRIPTIONS.set(sum(len(link.channels) for link in self._links.values()))
