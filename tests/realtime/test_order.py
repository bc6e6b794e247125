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
from chatserver.app import REALTIME
from chatserver.broker import Event, rooms
from chatserver.broker.base import Position
from chatserver.broker.control import ROOMS
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


class HeldMoves:
    """Keeps the process from handling `move_rooms` for `accounts` (for everyone without any) until
    `let_go`, as when the control event reaches it after what the join allowed (another Redis shard,
    a busy process). The rest of the process runs on."""

    def __init__(self, server, monkeypatch, *accounts) -> None:
        realtime = server.app[REALTIME]
        self._handle = realtime._control
        self._users = {rooms.user(account.id) for account in accounts}
        self.events: list[Event] = []
        monkeypatch.setattr(realtime, "_control", self._control)

    async def _control(self, event: Event) -> None:
        if event.name == ROOMS and (not self._users or self._users & set(event.rooms)):
            self.events.append(event)
        else:
            await self._handle(event)

    async def let_go(self) -> None:
        while self.events:
            await self._handle(self.events.pop(0))


def dm_news(client) -> list[int]:
    return [data["message"]["seq"] for name, data in client.events if name == "dm:new"]


async def test_a_dm_sent_before_the_process_handles_the_open_reaches_both_once(server, monkeypatch):
    """dm:open commits the conversation and publishes move_rooms to both users; a dm:send right after
    can commit, and be published, before the process has put their sockets in the conversation's room.
    The join carries where the conversation stood (empty): the process starts the stream there, not
    where it stands once it handles the join, and reads back what it missed."""
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, alice, bob)
    a, b = await connect(server, alice), await connect(server, bob)
    held = HeldMoves(server, monkeypatch)
    conversation = (await a.call("dm:open", {"userId": bob.id}))["data"]["conversation"]
    dm = {"conversationId": conversation["id"], "content": "before the join is handled", "nonce": nonce()}
    assert (await a.call("dm:send", dm))["ok"]  # committed and published: no socket in the room yet
    assert len(held.events) == 2 and dm_news(a) == dm_news(b) == []
    await held.let_go()
    for client in (a, b):
        await client.wait_for("dm:new")
    assert (await a.call("dm:send", {**dm, "content": "after", "nonce": nonce()}))["ok"]
    for client in (a, b):
        await client.wait_for("dm:new", where=lambda data: data["message"]["seq"] == 2)
        assert dm_news(client) == [1, 2]


async def test_sockets_added_to_a_channel_after_it_moved_on_get_what_they_missed_once(server, monkeypatch):
    """Someone added to a channel whose room this process already follows for others: a message sent
    after the add committed but before the process handled the add went to the room without the new
    member's socket. It is sent to that socket alone, before the room's next message."""
    owner, watcher, newcomer = await server.account(), await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, watcher)
    joined = await server.request("POST", "/api/v1/workspaces/join", token=newcomer.access_token,
                                  json={"inviteCode": room.workspace["inviteCode"]})
    assert joined.status == 200, joined.body
    sender, seeing, late = (await connect(server, owner), await connect(server, watcher),
                            await connect(server, newcomer))
    before = await send(sender, room.channel_id, "before the add")
    held = HeldMoves(server, monkeypatch, newcomer)
    added = await server.request("POST", f"/api/v1/channels/{room.channel_id}/members",
                                 token=owner.access_token, json={"userId": newcomer.id})
    assert added.status == 201, added.body
    first = await send(sender, room.channel_id, "after the add, before the process handled it")
    await seeing.wait_for("message:new", where=lambda data: data["message"]["id"] == first["id"])
    assert len(held.events) == 1
    await held.let_go()
    second = await send(sender, room.channel_id, "after")
    for client in (seeing, late):
        await client.wait_for("message:new", where=lambda data: data["message"]["id"] == second["id"])
    news = await arrivals(late, room.channel_id, 2)
    assert [message["id"] for message in news] == [first["id"], second["id"]]
    assert [message["id"] for message in await arrivals(seeing, room.channel_id, 3)] == [
        before["id"], first["id"], second["id"]]


async def test_sockets_joining_while_the_start_is_read_get_what_the_read_skips():
    """The room's first sockets made the process read the stream's start; a join handled meanwhile,
    from an earlier position, cannot be compared until the read answers: then the joining sockets
    alone are sent the changes after their join up to that start, before anything live."""
    stream_id = "00000000-0000-0000-0000-000000000001"
    room = rooms.channel(stream_id)
    answer = asyncio.Event()
    got: list[Event] = []

    def change(change_seq: int) -> Event:
        return Event("message:new", {"changeSeq": change_seq}, (room,),
                     position=Position("channel", stream_id, change_seq, change_seq))

    async def load(streams):
        await answer.wait()
        return {("channel", stream_id): (5, 5)}

    async def fetch(kind, fetched_id, after_change, after_seq):
        return [change(n) for n in range(after_change + 1, 7)]  # 6: committed since the read

    async def emit(event: Event) -> None:
        got.append(event)

    order = StreamOrder(emit, load, fetch)
    order.follow(room)  # a socket that connected
    order.subscribed(room)
    order.joining(room, (3, 3), ["joining-sid"])
    answer.set()
    await order.settled()
    await order.deliver(change(6))
    for _ in range(10):
        await asyncio.sleep(0)
    assert [(event.position.change_seq, event.rooms) for event in got] == [
        (4, ("joining-sid",)), (5, ("joining-sid",)), (6, (room,))]
