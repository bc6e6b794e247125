"""Concurrent sends to one stream are written together (group commit), and each sender still gets
exactly its own answer: its message, its retry's first message, or its own error."""

from __future__ import annotations

import asyncio
import re

from tests.support.chat import connect, nonce, workspace_with_channel

PER_CLIENT = 4  # sends each of 16 clients makes at once: 64 messages, one page of history


async def _batches_of_more_than_one(server) -> float:
    """From /metrics, as an operator reads it: the post batches that held more than one message."""
    metrics = await server.request("GET", "/metrics")
    buckets = dict(re.findall(r'chat_group_commit_size_bucket\{le="([^"]+)",write="post_messages"\} (\S+)',
                              metrics.body) or
                   re.findall(r'chat_group_commit_size_bucket\{write="post_messages",le="([^"]+)"\} (\S+)',
                              metrics.body))
    return float(buckets["+Inf"]) - float(buckets["1.0"])


async def test_concurrent_sends_go_in_batches_and_each_sender_gets_its_own_answer(server):
    owner, *members = [await server.account() for _ in range(9)]
    outsider = await server.account()
    room = await workspace_with_channel(server, owner, *members)
    await server.request("POST", "/api/v1/workspaces/join", token=outsider.access_token,
                         json={"inviteCode": room.workspace["inviteCode"]})  # in the workspace, not the channel
    clients = [await connect(server, account) for account in members for _ in range(2)]
    stranger = await connect(server, outsider)
    watcher = await connect(server, owner)
    retried = nonce()

    async def post(client, content: str, key: str | None = None) -> dict:
        return await client.call("message:send", {"channelId": room.channel_id, "content": content,
                                                  "nonce": key or nonce()}, timeout=20)

    sends = [post(client, f"hello @{owner.username} {i}.{j}") for i, client in enumerate(clients) for j in range(PER_CLIENT)]
    sends += [post(clients[0], "the same nonce twice", retried), post(clients[0], "the same nonce twice", retried)]
    sends += [post(stranger, "let me in")]
    acks = await asyncio.gather(*sends)

    *posted, first_try, second_try, refused = acks
    assert all(ack["ok"] for ack in posted + [first_try, second_try])
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    assert first_try["data"]["message"]["id"] == second_try["data"]["message"]["id"]
    messages = [ack["data"]["message"] for ack in posted] + [first_try["data"]["message"]]
    seqs = sorted(message["seq"] for message in messages)
    assert seqs == list(range(1, len(messages) + 1)), "every message once, no seq skipped"
    assert all(message["mentions"] == [owner.id] for message in messages[:-1])
    # Each client's own messages were numbered in the order it sent them.
    for i in range(len(clients)):
        mine = [ack["data"]["message"]["seq"] for ack in posted[i * PER_CLIENT:(i + 1) * PER_CLIENT]]
        assert mine == sorted(mine)
    assert await _batches_of_more_than_one(server) > 0, "no two sends were ever written together"

    history = await server.request("GET", f"/api/v1/channels/{room.channel_id}/messages?limit=100",
                                   token=owner.access_token)
    assert sorted(m["id"] for m in history.body["messages"]) == sorted(m["id"] for m in messages)
    # The watcher heard each new message once; the retry was not broadcast again.
    await watcher.wait_for("message:new", where=lambda d: d["message"]["seq"] == len(messages), timeout=10)
    heard = [data["message"]["id"] for name, data in watcher.events if name == "message:new"]
    assert sorted(heard) == sorted(m["id"] for m in messages)
    # Senders' read markers moved to their last message; the mentioned owner has unread mentions.
    ready = await connect(server, members[0])
    state = (await ready.wait_for("ready"))["channels"][0]
    assert state["lastReadSeq"] == max(ack["data"]["message"]["seq"] for ack in posted[:2 * PER_CLIENT] + [first_try])
