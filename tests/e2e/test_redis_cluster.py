"""On a Redis Cluster: every command stays within one slot, a room's slot that moves is followed,
and a master lost while people chat costs nothing that `sync` does not bring back, with fan-out
back within seconds."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis
from redis.asyncio import RedisCluster

from chatserver.broker.base import Event
from chatserver.broker.redis import RedisBroker
from chatserver.presence.redis import RedisPresence, RedisTyping
from chatserver.ratelimit.base import Rule
from chatserver.ratelimit.redis import RedisRateLimiter
from tests.support.chat import connect, nonce, send, workspace_with_channel

pytestmark = pytest.mark.timeout(180)

on_the_cluster = pytest.mark.parametrize("redis_backend", ["redis_cluster"], indirect=True)


def _failed_commands(redis_cluster) -> dict[int, dict[str, object]]:
    """Each master's commands refused or failed since the stats were reset (CROSSSLOT is also
    checked after every test by the redis_cluster fixture). Left out: CLIENT SETINFO, which
    redis-py sends on connecting and Redis 7.0 does not know."""
    errors = {}
    for node in redis_cluster.masters():
        with redis.Redis(host="127.0.0.1", port=node.port) as one:
            found: dict[str, object] = {}
            for name, stats in one.info("commandstats").items():
                if name != "cmdstat_client|setinfo" and (
                        stats.get("rejected_calls") or stats.get("failed_calls")):
                    found[name] = stats
            errors[node.port] = found
    return errors


async def test_every_redis_command_of_the_server_stays_within_one_slot(redis_cluster):
    client = RedisCluster.from_url(redis_cluster.url)
    broker = RedisBroker(redis_cluster.url, cluster=True)
    heard: list[Event] = []

    async def deliver(event: Event) -> None:
        heard.append(event)

    try:
        redis_cluster.reset_stats()
        # Presence: sockets coming and going, activity, statuses, idling, a dead process reaped.
        presence, dead = RedisPresence(client), RedisPresence(client)
        offline: list[list[uuid.UUID]] = []

        async def announce(users: list[uuid.UUID]) -> None:
            offline.append(users)

        await presence.start(announce)
        await dead._heartbeat()
        users = [uuid.uuid4() for _ in range(8)]
        for i, user in enumerate(users):
            assert await (presence if i % 2 else dead).connect(user, f"sid-{i}")
        assert not await presence.connect(users[1], "sid-again")
        await presence.touch(users[1])
        assert await presence.set_status(users[3], "BUSY", "in a meeting")
        assert (await presence.states(users))[users[3]].status == "BUSY"
        assert set(await presence.go_idle(time.time() + 3600)) == set(users) - {users[3]}  # BUSY stays BUSY
        assert await presence.touch(users[1])  # back from idle
        assert not await presence.disconnect(users[1], "sid-1")
        assert await presence.disconnect(users[1], "sid-again")
        await client.delete(dead._process_key("alive", dead.process_id))
        await presence.reap_dead()
        assert sorted(user for batch in offline for user in batch) == sorted(users[0::2])
        await presence.release()
        await presence.close()
        assert sorted(user for batch in offline[1:] for user in batch) == sorted([users[3], users[5], users[7]])
        # Typing in rooms spread over the slots.
        typing = RedisTyping(client)
        rooms = [f"channel:{uuid.uuid4()}" for _ in range(8)]
        for room in rooms:
            assert await typing.start(room, users[0], time.time())
        assert await typing.stop(rooms[0], users[0])
        assert sorted(room for room, _ in await typing.expired(time.time() + 60)) == sorted(rooms[1:])
        # Rate limits: the second hit of a one-token bucket waits.
        limiter = RedisRateLimiter(client)
        assert await limiter.hit(f"send:{users[0]}", Rule(1, 0.1)) is None
        assert await limiter.hit(f"send:{users[0]}", Rule(1, 0.1))
        # Fan-out: one event for several rooms, whose channels live on different masters.
        broker.on_event(deliver)
        await broker.start()
        for room in rooms:
            broker.interest(room, True)
        deadline = time.monotonic() + 10
        while not broker.healthy():
            assert time.monotonic() < deadline, "the sharded subscriptions did not settle"
            await asyncio.sleep(0.05)
        await broker.publish(Event("message:new", {"n": 1}, rooms=tuple(rooms)))
        while not heard:
            assert time.monotonic() < deadline, "the event did not arrive"
            await asyncio.sleep(0.05)
        assert len(heard) == 1  # once, though it came on every room's channel
    finally:
        await broker.close()
        await client.aclose()
    assert redis_cluster.crossslot_errors() == {}
    assert _failed_commands(redis_cluster) == {node.port: {} for node in redis_cluster.masters()}


async def test_a_room_whose_slot_moves_to_another_master_is_heard_there_within_a_second(redis_cluster):
    room = f"channel:{uuid.uuid4()}"
    publisher, listener = RedisBroker(redis_cluster.url, cluster=True), RedisBroker(redis_cluster.url, cluster=True)
    heard: list[int] = []

    async def deliver(event: Event) -> None:
        heard.append(event.data["n"])

    listener.on_event(deliver)
    try:
        await publisher.start()
        await listener.start()
        listener.interest(room, True)

        async def heard_after_publishing(n: int, within: float) -> bool:
            deadline = time.monotonic() + within
            while time.monotonic() < deadline:
                await publisher.publish(Event("message:new", {"n": n}, rooms=(room,)))
                await asyncio.sleep(0.05)
                if n in heard:
                    return True
                n += 1
            return False

        assert await heard_after_publishing(0, within=5)
        redis_cluster.move_slot_of(f"chat:room:{room}")
        moved_at = time.monotonic()
        # The old owner answers the publisher MOVED and ends the listener's SSUBSCRIBE with an
        # SUNSUBSCRIBE of its own; both follow the slot to its new master.
        assert await heard_after_publishing(1000, within=5)
        assert time.monotonic() - moved_at < 1
        assert listener.healthy()
    finally:
        await publisher.close()
        await listener.close()


@on_the_cluster
@pytest.mark.expect_log(r"publishing \S+ failed", r"presence lease renewal failed", r"reaping dead processes failed",
                        r"could not record activity", r"redis cluster subscriber", r"periodic \S+ skipped")
async def test_a_master_killed_while_people_chat_loses_nothing_after_sync_and_fanout_recovers(
        cluster, nodes, redis_cluster):
    alice, bob, carol = [await node.account() for node in nodes]
    room = await workspace_with_channel(nodes[0], alice, bob, carol)
    a, b, c = await connect(nodes[0], alice), await connect(nodes[1], bob), await connect(nodes[2], carol)
    first = await send(a, room.channel_id, "before the failover")
    for client in (b, c):
        await client.wait_for("message:new", where=lambda d: d["message"]["id"] == first["id"])
    held = first["changeSeq"]

    with redis_cluster.client() as directory:  # the master that owns the room's channel
        owner = directory.get_node_from_key(f"chat:room:channel:{room.channel_id}")
    redis_cluster.node_on(int(owner.port)).kill()
    killed_at = time.monotonic()
    sent = []
    recovered_after = None
    while recovered_after is None:
        assert time.monotonic() - killed_at < 30, "fan-out did not recover within 30 s"
        ack = await a.call("message:send", {"channelId": room.channel_id, "content": f"during {len(sent)}",
                                            "nonce": nonce()})
        assert ack["ok"], ack  # stored and answered whatever Redis is doing
        sent.append(ack["data"]["message"])
        try:
            for client in (b, c):
                await client.wait_for("message:new", where=lambda d, latest=sent[-1]["id"]: d["message"]["id"] == latest,
                                      timeout=0.5)
            recovered_after = time.monotonic() - killed_at
        except (TimeoutError, AssertionError):
            continue
    assert recovered_after < 15  # the node timeout (1 s here), the election, then a resubscription

    deadline = time.monotonic() + 15
    for node in nodes:  # every process is ready again (its own retry, every 2 s at most, may come later)
        while (await node.request("GET", "/readyz")).status != 200:
            assert time.monotonic() < deadline, f"{node.url} not ready again"
            await asyncio.sleep(0.2)
    for client in (b, c):
        ack = await client.call("sync", {"channels": {room.channel_id: held}})
        got = [m["content"] for m in ack["data"]["channels"][room.channel_id]["messages"]]
        assert got == [m["content"] for m in sent]
