"""Several server processes behind Redis: everything reaches everyone, nothing is lost."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from chatserver.actions import sync
from chatserver.broker import Event, rooms
from chatserver.broker.redis import RedisBroker
from chatserver.http.api import SERVICES
from chatserver.realtime.ordering import StreamOrder
from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.order import SENDERS, arrivals, assert_in_order, burst
from tests.support.redis_cluster import on_redis_and_cluster

pytestmark = pytest.mark.timeout(180)


@on_redis_and_cluster
async def test_clients_on_different_processes_talk_to_each_other(nodes):
    first, second, third = nodes
    alice, bob, carol = await first.account("alice"), await second.account("bob"), await third.account("carol")
    room = await workspace_with_channel(first, alice, bob, carol)
    a, b, c = await connect(first, alice), await connect(second, bob), await connect(third, carol)

    # Channel messages, each once, everywhere.
    message = await send(a, room.channel_id, "hello from process one")
    for client in (a, b, c):
        assert (await client.wait_for("message:new"))["message"]["id"] == message["id"]
    # Reactions and edits made on other processes.
    await b.call("reaction:add", {"messageId": message["id"], "emoji": "👋"})
    assert (await c.wait_for("reaction:updated"))["reactions"][0]["userIds"] == [bob.id]
    await a.call("message:edit", {"messageId": message["id"], "version": 1, "content": "edited"})
    assert (await b.wait_for("message:updated"))["message"]["content"] == "edited"
    # Typing goes to the others, not the typist.
    await c.call("typing", {"channelId": room.channel_id, "typing": True})
    assert (await a.wait_for("typing"))["userId"] == carol.id
    assert (await b.wait_for("typing"))["userId"] == carol.id
    # Direct messages across processes.
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    await a.call("dm:send", {"conversationId": conversation["id"], "content": "psst", "nonce": nonce()})
    assert (await b.wait_for("dm:new"))["message"]["content"] == "psst"
    # Presence: one user's status seen on another process.
    await b.call("presence:set", {"status": "BUSY"})
    assert (await c.wait_for("presence", where=lambda d: d["userId"] == bob.id and d["status"] == "BUSY"))
    # Joining on one process moves the user's sockets on another into the room.
    dave = await first.account("dave")
    await first.request("POST", "/api/v1/workspaces/join", token=dave.access_token,
                        json={"inviteCode": room.workspace["inviteCode"]})
    d = await connect(third, dave)
    joined = await first.request("POST", f"/api/v1/channels/{room.channel_id}/members",
                                 token=alice.access_token, json={"userId": dave.id})
    assert joined.status == 201
    await asyncio.sleep(0.3)  # the room subscription on process three
    await send(b, room.channel_id, "welcome dave")
    assert (await d.wait_for("message:new"))["message"]["content"] == "welcome dave"


@on_redis_and_cluster
async def test_a_thousand_messages_through_every_process_arrive_complete_and_in_order(nodes):
    accounts = [await node.account() for node in nodes]
    room = await workspace_with_channel(nodes[0], accounts[0], *accounts[1:])
    senders = [await connect(node, account) for node, account in zip(nodes, accounts, strict=True)]
    listeners = [await connect(node, account) for node, account in zip(nodes, accounts, strict=True)]
    for i in range(1000):
        await send(senders[i % 3], room.channel_id, f"n{i}")
    for listener in listeners:
        deadline = asyncio.get_running_loop().time() + 30
        while sum(1 for name, _ in listener.events if name == "message:new") < 1000:
            assert asyncio.get_running_loop().time() < deadline, "messages missing"
            await asyncio.sleep(0.05)
        received = [data["message"] for name, data in listener.events if name == "message:new"]
        assert [m["seq"] for m in received] == list(range(1, 1001))
        assert [m["content"] for m in received] == [f"n{i}" for i in range(1000)]


@on_redis_and_cluster
async def test_routing_sends_a_process_only_the_rooms_it_has_sockets_in(nodes, http):
    owner_a, owner_b = await nodes[0].account(), await nodes[1].account()
    room_a = await workspace_with_channel(nodes[0], owner_a)
    room_b = await workspace_with_channel(nodes[1], owner_b)
    client_a, client_b = await connect(nodes[0], owner_a), await connect(nodes[1], owner_b)
    for i in range(20):
        await send(client_a, room_a.channel_id, f"a{i}")
    await send(client_b, room_b.channel_id, "b")

    async def received(node) -> float:
        async with http.get(node.url + "/metrics") as response:
            text = await response.text()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('chat_events_received_total{event="message:new"}'))

    assert await received(nodes[0]) == 20
    assert await received(nodes[1]) == 1
    assert await received(nodes[2]) == 0


@pytest.mark.cluster(count=1, env={"REDIS_URL": ""})
async def test_thirty_two_concurrent_senders_are_watched_in_seq_order_on_one_server_process(nodes):
    await _concurrent_senders_are_watched_in_order(nodes)


@on_redis_and_cluster
async def test_thirty_two_concurrent_senders_on_three_processes_are_watched_in_seq_order(nodes):
    await _concurrent_senders_are_watched_in_order(nodes)


async def _concurrent_senders_are_watched_in_order(nodes):
    """Senders spread over the processes, a watcher on each: every watcher gets all 512 messages
    once, in seq order, so none of them would ever need to `sync`."""
    owner, *people = [await nodes[i % len(nodes)].account() for i in range(SENDERS // 2 + 1)]
    room = await workspace_with_channel(nodes[0], owner, *people)
    watchers = [await connect(node, owner) for node in nodes]
    senders = [await connect(nodes[i % len(nodes)], account) for i, account in enumerate(people) for _ in range(2)]
    for _ in range(2):  # two rounds: the second starts with every process already following the channel
        sent = await burst(senders, room.channel_id)
        for watcher in watchers:
            assert_in_order(await arrivals(watcher, room.channel_id, len(sent)), sent)
        for client in watchers + senders:
            client.events.clear()


@on_redis_and_cluster
async def test_direct_messages_sent_right_after_opening_the_conversation_arrive_live_on_other_processes(nodes):
    """dm:open moves both people's sockets into the new conversation's room, on their own processes,
    and the first dm:new follows at once: it arrives live, though it may be published before the
    process's subscription to the room is in place. Thirty conversations opened at once."""
    alice = await nodes[0].account()
    others = [await nodes[1 + i % 2].account() for i in range(30)]
    await workspace_with_channel(nodes[0], alice, *others)
    a = await connect(nodes[0], alice)
    clients = [await connect(nodes[1 + i % 2], other) for i, other in enumerate(others)]

    async def open_and_send(other) -> str:
        conversation = (await a.call("dm:open", {"userId": other.id}))["data"]["conversation"]
        ack = await a.call("dm:send", {"conversationId": conversation["id"], "content": "hi", "nonce": nonce()})
        assert ack["ok"], ack
        return ack["data"]["message"]["id"]

    sent = await asyncio.gather(*map(open_and_send, others))
    for client, message_id in zip(clients, sent, strict=True):
        assert (await client.wait_for("dm:new"))["message"]["id"] == message_id


class _ProcessOnRedis:
    """A receiving process reduced to its StreamOrder and its own Redis broker, fed what the in-process
    server publishes (as a server on Redis would publish it), to be driven one step at a time."""

    def __init__(self, server, redis_env) -> None:
        svc = server.app[SERVICES]
        cluster = redis_env.get("REDIS_CLUSTER") == "true"
        self.publisher = RedisBroker(redis_env["REDIS_URL"], cluster=cluster)
        self.broker = RedisBroker(redis_env["REDIS_URL"], cluster=cluster)
        self.emitted: list[Event] = []
        self.published = asyncio.Event()  # a message:new went to Redis
        self.order = StreamOrder(self._emit, partial(sync.stream_positions, svc), partial(sync.missed_events, svc))
        self.broker.on_event(self.order.deliver)
        self.broker.on_subscribed(self.order.subscribed)
        self._forwarding = True
        svc.broker.on_event(self._to_redis)

    async def _to_redis(self, event: Event) -> None:
        if self._forwarding:
            await self.publisher.publish(event)
            if event.name == "message:new":
                self.published.set()

    async def _emit(self, event: Event) -> None:
        self.emitted.append(event)

    async def messages(self, count: int) -> list[Event]:
        """The first `count` message:new emitted, once they are."""
        deadline = asyncio.get_running_loop().time() + 5
        while len(new := [event for event in self.emitted if event.name == "message:new"]) < count:
            assert asyncio.get_running_loop().time() < deadline, f"{count} message:new expected, got {new}"
            await asyncio.sleep(0.02)
        return new

    async def assert_got_once_in_order(self, *sent: dict) -> None:
        heard = await self.messages(len(sent))
        await asyncio.sleep(0.3)  # anything delivered twice would be here by now
        assert [event.data["message"]["id"] for event in self.emitted] == [message["id"] for message in sent]
        assert [event.position.change_seq for event in heard] == [message["changeSeq"] for message in sent]

    async def __aenter__(self) -> _ProcessOnRedis:
        await self.publisher.start()
        await self.broker.start()
        return self

    async def __aexit__(self, *_exc) -> None:
        self._forwarding = False
        await self.broker.close()
        await self.publisher.close()


@on_redis_and_cluster
async def test_a_change_published_before_the_room_subscription_is_in_place_is_read_back_then(server, redis_env):
    """What a process does for its first socket in a stream's room, step by step: read the stream's
    position (StreamOrder.follow), then, before Redis has the room's subscription, a message is
    committed and published, and nothing later comes to show the gap. Once Redis answers the
    subscription the message is read back from PostgreSQL; what follows arrives live, once each."""
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    sender = await connect(server, alice)
    stream = rooms.channel(room.channel_id)
    async with _ProcessOnRedis(server, redis_env) as process:
        process.order.follow(stream)
        await process.order.settled()  # the start position is read
        first = await send(sender, room.channel_id, "published before the subscription")
        await process.published.wait()
        process.broker.interest(stream, True)
        assert [event.data["message"]["id"] for event in await process.messages(1)] == [first["id"]]
        second = await send(sender, room.channel_id, "published after it")
        await process.assert_got_once_in_order(first, second)


@on_redis_and_cluster
async def test_a_change_committed_after_a_join_but_before_the_process_follows_the_stream_arrives(server, redis_env):
    """A join carries where the stream stood when it was made (move_rooms `at`). A message committed,
    and published, after the join but before the process handles it would count as already seen if
    the process read the stream's position then; started at the join's position instead, it reads the
    message back once Redis answers the room's subscription, and what follows arrives live, once."""
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    sender = await connect(server, alice)
    stream = rooms.channel(room.channel_id)
    svc = server.app[SERVICES]
    async with _ProcessOnRedis(server, redis_env) as process:
        joined_at = (await sync.stream_positions(svc, [("channel", room.channel_id)]))[("channel", room.channel_id)]
        first = await send(sender, room.channel_id, "committed after the join, before the process follows")
        process.order.joining(stream, joined_at, ["a-socket"])  # the process handles the join: it starts there
        process.broker.interest(stream, True)
        assert [event.data["message"]["id"] for event in await process.messages(1)] == [first["id"]]
        second = await send(sender, room.channel_id, "after")
        await process.assert_got_once_in_order(first, second)
