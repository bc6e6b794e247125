"""Bursts of concurrent sends, and what watchers must see of them: each message once, in seq order."""

from __future__ import annotations

import asyncio

from tests.support.chat import nonce
from tests.support.sockets import Client

SENDERS = 32
BURST = 16


async def burst(senders: list[Client], channel_id: str) -> list[dict]:
    """Every sender sends BURST messages at once, all senders at the same time; returns the acks."""

    async def one(client: Client, i: int, j: int) -> dict:
        return await client.call("message:send", {"channelId": channel_id, "content": f"{i}.{j}", "nonce": nonce()},
                                 timeout=30)

    acks = await asyncio.gather(*(one(client, i, j) for i, client in enumerate(senders) for j in range(BURST)))
    assert all(ack["ok"] for ack in acks), [ack for ack in acks if not ack["ok"]][:3]
    return [ack["data"]["message"] for ack in acks]


async def arrivals(watcher: Client, channel_id: str, count: int) -> list[dict]:
    """The first `count` message:new of the channel, in the order they arrived."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while True:
        got = [data["message"] for name, data in watcher.events
               if name == "message:new" and data["message"]["channelId"] == channel_id]
        if len(got) >= count or loop.time() > deadline:
            return got
        await asyncio.sleep(0.05)


def assert_in_order(received: list[dict], sent: list[dict]) -> None:
    seqs = [message["seq"] for message in received]
    first = min(message["seq"] for message in sent)
    assert seqs == list(range(first, first + len(sent))), \
        f"out of order, duplicated or lost: {sum(b < a for a, b in zip(seqs, seqs[1:], strict=False))} inversions"
    changes = [message["changeSeq"] for message in received]
    assert changes == sorted(changes)
    assert {message["id"] for message in received} == {message["id"] for message in sent}
