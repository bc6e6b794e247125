"""Changes that never reached the fan-out are read back from PostgreSQL, in their place.

Concurrent senders on one process and on three are in tests/e2e/test_cluster.py: real server
processes, as shipped (the in-process test server shares its loop with the clients, which hides
the reordering)."""

from __future__ import annotations

import asyncio
from functools import partial
from uuid import UUID

import asyncpg

from chatserver.actions import sync
from chatserver.broker import Event, rooms
from chatserver.http.api import SERVICES
from chatserver.realtime.ordering import StreamOrder
from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.order import arrivals


async def test_a_change_that_was_never_published_is_read_back_in_its_place(server, database_url):
    """A message stored without an event (its process died between commit and publish) reaches
    watchers from PostgreSQL, before the next one, instead of leaving them a gap to `sync`."""
    owner, other = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, other)
    watcher, sender = await connect(server, owner), await connect(server, other)
    first = (await sender.call("message:send", {"channelId": room.channel_id, "content": "one", "nonce": nonce()}))

    conn = await asyncpg.connect(database_url)
    try:  # what the dead process committed
        await conn.execute("SELECT (chat_post_message($1, NULL, $2, 'two', 'TEXT', NULL, 'lost-one', '{}', '{}')).id",
                           UUID(room.channel_id), UUID(other.id))
    finally:
        await conn.close()
    third = await sender.call("message:send", {"channelId": room.channel_id, "content": "three", "nonce": nonce()})

    got = await arrivals(watcher, room.channel_id, 3)
    assert [m["content"] for m in got] == ["one", "two", "three"]
    assert [m["seq"] for m in got] == [first["data"]["message"]["seq"] + i for i in range(3)]
    assert got[2]["id"] == third["data"]["message"]["id"]


async def test_a_change_stored_before_the_broker_hears_the_stream_is_read_back_once_it_does(server):
    """A process reads a stream's position when its first socket enters the room, but hears the room
    only once the broker's subscription is in place (with Redis, a moment later; the e2e test in
    test_cluster.py does this on Redis): a change committed in between was published while nothing
    here listened. When the broker tells the room is heard, it is read back from PostgreSQL and
    delivered; arriving late after all, or followed by the next change, it is not delivered twice."""
    svc = server.app[SERVICES]
    owner, other = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, other)
    sender = await connect(server, other)
    published: list[Event] = []  # what the server published, which `order` below has not heard
    got: list[Event] = []

    async def capture(event: Event) -> None:
        if event.name == "message:new":
            published.append(event)

    async def emit(event: Event) -> None:
        got.append(event)

    svc.broker.on_event(capture)
    order = StreamOrder(emit, partial(sync.stream_positions, svc), partial(sync.missed_events, svc))
    stream = rooms.channel(room.channel_id)
    order.follow(stream)
    await order.settled()
    first = await send(sender, room.channel_id, "stored before the room is heard")
    order.subscribed(stream)
    deadline = asyncio.get_running_loop().time() + 5
    while not got:
        assert asyncio.get_running_loop().time() < deadline, "the change was not read back"
        await asyncio.sleep(0.02)
    await order.deliver(published[0])  # the live event after all: already delivered
    second = await send(sender, room.channel_id, "heard")
    await order.deliver(published[1])
    assert [(event.name, event.data["message"]["id"]) for event in got] == [
        ("message:new", first["id"]), ("message:new", second["id"])]
    assert [event.position.change_seq for event in got] == [first["changeSeq"], second["changeSeq"]]
