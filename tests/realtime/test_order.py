"""Changes that never reached the fan-out are read back from PostgreSQL, in their place.

Concurrent senders on one process and on three are in tests/e2e/test_cluster.py: real server
processes, as shipped (the in-process test server shares its loop with the clients, which hides
the reordering)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from tests.support.chat import connect, nonce, workspace_with_channel
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
