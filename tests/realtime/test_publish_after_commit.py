"""A write's events reach sockets after its transaction commits, and never when it rolls back;
publishing straight to the broker while a transaction is open on the task fails."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from chatserver.broker import rooms
from chatserver.http.api import SERVICES
from chatserver.schemas.events import CHANNEL_ARCHIVED, TYPING, ChannelRefEvent, TypingEvent
from chatserver.store import channels
from tests.support.chat import connect, send, workspace_with_channel


class RolledBack(Exception):
    pass


async def _archive(svc, channel_id: str, before_the_end) -> None:
    """What channels.archive does, and then `before_the_end()` while the transaction is still open."""
    async with svc.db.transaction("archive_channel") as conn:
        row = await channels.archive(conn, uuid.UUID(channel_id))
        svc.publish_after_commit(CHANNEL_ARCHIVED.to((rooms.channel(row["id"]),),
                                                     ChannelRefEvent(channel_id=row["id"])))
        await asyncio.sleep(0.2)  # time enough for an event sent early to arrive
        before_the_end()


async def test_the_events_of_a_transaction_that_rolls_back_are_never_delivered(server):
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    watcher = await connect(server, bob)

    def roll_back():
        raise RolledBack

    with pytest.raises(RolledBack):
        await _archive(server.app[SERVICES], room.channel_id, roll_back)
    await send(await connect(server, alice), room.channel_id, "after the rollback")
    await watcher.wait_for("message:new")  # events of one process arrive in the order published

    assert "channel:archived" not in [name for name, _ in watcher.events]
    channel = await server.request("GET", f"/api/v1/channels/{room.channel_id}", token=bob.access_token)
    assert channel.body["channel"]["isArchived"] is False


async def test_the_events_of_a_transaction_are_delivered_once_it_has_committed(server):
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    watcher = await connect(server, bob)

    def not_delivered_yet():
        assert "channel:archived" not in [name for name, _ in watcher.events]

    await _archive(server.app[SERVICES], room.channel_id, not_delivered_yet)
    assert await watcher.wait_for("channel:archived") == {"channelId": room.channel_id}


async def test_publishing_inside_an_open_transaction_fails(server):
    alice = await server.account()
    room = await workspace_with_channel(server, alice)
    svc = server.app[SERVICES]
    typing = TYPING.to((rooms.channel(room.channel_id),),
                       TypingEvent(channel_id=uuid.UUID(room.channel_id), user_id=uuid.UUID(alice.id), typing=True))

    async with svc.db.transaction("a_write") as conn:
        await conn.execute("SELECT 1")
        with pytest.raises(RuntimeError, match="inside the open transaction 'a_write'"):
            await svc.publish(typing)
    with pytest.raises(RuntimeError, match="outside a transaction"):
        svc.publish_after_commit(typing)
    await svc.publish(typing)  # once it has ended, publishing is allowed again
