"""Concurrent sends to one stream are written together (group commit), and each sender still gets
exactly its own answer: its message, its retry's first message, or its own error."""

from __future__ import annotations

import asyncio
import re
from uuid import UUID

import pytest

from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.roles import owner_sql

PER_CLIENT = 4  # sends each of 16 clients makes at once: 64 messages, one page of history


async def _batches_of_more_than_one(server, write: str = "post_messages") -> float:
    """From /metrics, as an operator reads it: the batches of `write` that held more than one."""
    metrics = await server.request("GET", "/metrics")
    buckets = dict(re.findall(rf'chat_group_commit_size_bucket\{{le="([^"]+)",write="{write}"\}} (\S+)',
                              metrics.body) or
                   re.findall(rf'chat_group_commit_size_bucket\{{write="{write}",le="([^"]+)"\}} (\S+)',
                              metrics.body))
    return float(buckets["+Inf"]) - float(buckets["1.0"])


async def test_concurrent_sends_go_in_batches_and_each_sender_gets_its_own_answer(server):
    owner, *members = [await server.account() for _ in range(9)]
    outsider, ghost = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, *members, ghost)
    await server.request("POST", "/api/v1/workspaces/join", token=outsider.access_token,
                         json={"inviteCode": room.workspace["inviteCode"]})  # in the workspace, not the channel
    clients = [await connect(server, account) for account in members for _ in range(2)]
    stranger = await connect(server, outsider)
    haunting = await connect(server, ghost)
    # In the channel but no longer in the workspace: a row left behind, which the posting statement's own
    # check of the senders refuses (the server's API removes both together).
    await owner_sql(server, "DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
                    UUID(room.workspace["id"]), UUID(ghost.id))
    watcher = await connect(server, owner)
    retried = nonce()

    async def post(client, content: str, key: str | None = None) -> dict:
        return await client.call("message:send", {"channelId": room.channel_id, "content": content,
                                                  "nonce": key or nonce()}, timeout=20)

    sends = [post(client, f"hello @{owner.username} {i}.{j}") for i, client in enumerate(clients) for j in range(PER_CLIENT)]
    sends += [post(clients[0], "the same nonce twice", retried), post(clients[0], "the same nonce twice", retried)]
    sends += [post(stranger, "let me in"), post(haunting, "boo")]
    acks = await asyncio.gather(*sends)

    *posted, first_try, second_try, refused, left_behind = acks
    assert all(ack["ok"] for ack in posted + [first_try, second_try])
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused
    assert left_behind["ok"] is False and left_behind["error"]["code"] == "not_found", left_behind
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


async def _dm(client, conversation_id: str, content: str, key: str | None = None) -> dict:
    return await client.call("dm:send", {"conversationId": conversation_id, "content": content,
                                         "nonce": key or nonce()}, timeout=20)


async def test_direct_messages_of_many_conversations_go_together_and_a_bad_one_fails_no_other(server):
    hub, *others = [await server.account() for _ in range(13)]
    await workspace_with_channel(server, hub, *others)
    hub_client = await connect(server, hub)
    clients = [await connect(server, account) for account in others]
    conversations = [(await client.call("dm:open", {"userId": hub.id}))["data"]["conversation"]["id"]
                     for client in clients]
    blocked, greedy = 0, 1  # the first other will block the hub; the second sends past its rate limit

    # One message in each of 12 conversations at once: any batch of more than one spans conversations.
    firsts = await asyncio.gather(*(_dm(client, conversation, "first")
                                    for client, conversation in zip(clients, conversations, strict=True)))
    assert all(ack["ok"] and ack["data"]["message"]["seq"] == 1 for ack in firsts), firsts
    assert await _batches_of_more_than_one(server) > 0, "no two conversations' messages were ever written together"

    assert (await server.request("PUT", f"/api/v1/users/{hub.id}/block",
                                 token=others[blocked].access_token)).status == 200
    retried = nonce()
    sends = {}  # (sender index, conversation index) -> its acks, in the order sent
    for i, (client, conversation) in enumerate(zip(clients, conversations, strict=True)):
        count = 64 if i == greedy else 3
        sends[i, i] = [_dm(client, conversation, f"{i}.{j}") for j in range(count)]
        sends["hub", i] = [_dm(hub_client, conversation, f"hub.{i}")]
    sends["retry"] = [_dm(clients[2], conversations[2], "twice at once", retried) for _ in range(2)]
    sends["too long"] = [_dm(clients[3], conversations[3], "x" * (server.settings.max_message_chars + 1))]
    keys = list(sends)
    results = await asyncio.gather(*(asyncio.gather(*sends[key]) for key in keys))
    acks = dict(zip(keys, results, strict=True))

    refused = {key: {ack["error"]["code"] for ack in got if not ack["ok"]} for key, got in acks.items()}
    assert refused[blocked, blocked] == refused["hub", blocked] == {"forbidden"}
    assert not any(ack["ok"] for ack in acks[blocked, blocked] + acks["hub", blocked])
    assert refused[greedy, greedy] == {"rate_limited"}
    assert refused["too long"] == {"payload_too_large"}
    first_try, second_try = acks["retry"]
    assert first_try["ok"] and second_try["ok"]
    assert first_try["data"]["message"]["id"] == second_try["data"]["message"]["id"]
    landed = {key: [ack["data"]["message"] for ack in got if ack["ok"]] for key, got in acks.items()}
    assert len(landed[greedy, greedy]) >= 50, "the rate limit refused only what went past it"
    for key, messages in landed.items():
        if key not in ("retry", "too long") and key[1] not in (blocked, greedy):
            assert len(messages) == len(acks[key]), (key, refused[key])

    # Every conversation: each message stored once, numbered from 2 without a gap, each sender's
    # in the order it sent them; a retry across batches answers with the first message.
    again = await _dm(clients[2], conversations[2], "twice at once", retried)
    assert again["data"]["message"]["id"] == first_try["data"]["message"]["id"]
    for c, conversation in enumerate(conversations):
        mine = [m for key, messages in landed.items() for m in messages
                if m["conversationId"] == conversation and key != "retry"] + \
            ([first_try["data"]["message"]] if c == 2 else [])
        assert sorted(m["seq"] for m in mine) == list(range(2, len(mine) + 2)), c
        for key in ((c, c), ("hub", c)):
            seqs = [m["seq"] for m in landed[key]]
            assert seqs == sorted(seqs)
        history = await server.request("GET", f"/api/v1/conversations/{conversation}/messages?limit=100",
                                       token=hub.access_token)
        assert sorted(m["id"] for m in history.body["messages"][1:]) == sorted(m["id"] for m in mine), c
        # Both people heard each new message once, in seq order; the retries were not broadcast.
        for client in (clients[c], hub_client):
            if mine:
                await client.wait_for("dm:new", where=lambda d, c=conversation, n=len(mine) + 1:
                                      d["message"]["conversationId"] == c and d["message"]["seq"] == n, timeout=10)
            heard = [d["message"]["seq"] for name, d in client.events
                     if name == "dm:new" and d["message"]["conversationId"] == conversation]
            assert heard == list(range(1, len(mine) + 2)), c


async def test_read_markers_moved_at_once_go_together_only_forward_and_each_gets_its_own_state(server):
    owner, *members = [await server.account() for _ in range(8)]
    outsider = await server.account()
    room = await workspace_with_channel(server, owner, *members)
    other = await workspace_with_channel(server, owner, *members[:4], name="other")
    sender = await connect(server, owner)
    for i in range(5):
        await send(sender, room.channel_id, f"m{i}")
    await send(sender, other.channel_id, f"@{members[0].username} look")
    clients = [await connect(server, account) for account in members]
    stranger = await connect(server, outsider)

    def read(client, channel_id, seq):
        return client.call("channel:read", {"channelId": channel_id, "seq": seq}, timeout=20)

    # Each member: its marker to 2, then 4, then back to 1, at once; the first four in the other channel too.
    acks = await asyncio.gather(*(read(client, room.channel_id, seq) for client in clients for seq in (2, 4, 1)),
                                *(read(client, other.channel_id, 99) for client in clients[:4]),
                                read(stranger, room.channel_id, 3))
    *in_room, refused = acks
    assert all(ack["ok"] for ack in in_room), in_room
    assert refused["ok"] is False and refused["error"]["code"] == "not_found", refused
    for i in range(len(clients)):
        final = in_room[3 * i + 2]["data"]
        assert (final["lastReadSeq"], final["unreadCount"]) == (4, 1), "a marker never moves back"
        assert all(ack["data"]["lastReadSeq"] >= 2 for ack in in_room[3 * i:3 * i + 3])
    past_the_end = [ack["data"] for ack in in_room[3 * len(clients):]]
    assert all((state["lastReadSeq"], state["unreadCount"]) == (1, 0) for state in past_the_end)
    assert past_the_end[0]["mentionCount"] == 0
    assert await _batches_of_more_than_one(server, "channel_read") > 0, "no two read markers were written together"

    # What a reconnecting device of the first member sees agrees.
    ready = await (await connect(server, members[0])).wait_for("ready")
    markers = {state["id"]: state["lastReadSeq"] for state in ready["channels"]}
    assert markers == {room.channel_id: 4, other.channel_id: 1}


async def test_direct_read_markers_of_both_people_at_once_go_together_and_only_forward(server):
    hub, *others = [await server.account() for _ in range(6)]
    await workspace_with_channel(server, hub, *others)
    hub_client = await connect(server, hub)
    clients = [await connect(server, account) for account in others]
    conversations = [(await client.call("dm:open", {"userId": hub.id}))["data"]["conversation"]["id"]
                     for client in clients]
    for client, conversation in zip(clients, conversations, strict=True):
        for i in range(3):
            assert (await _dm(client, conversation, f"m{i}"))["ok"]
        assert (await _dm(hub_client, conversation, "back"))["ok"]

    def read(client, conversation, seq):
        return client.call("dm:read", {"conversationId": conversation, "seq": seq}, timeout=20)

    # Both people of every conversation at once, each forward and back: 3, then 1, then 9 (past the end).
    acks = await asyncio.gather(*(read(who, conversation, seq)
                                  for other, conversation in zip(clients, conversations, strict=True)
                                  for who in (other, hub_client) for seq in (3, 1, 9)),
                                read(clients[0], conversations[1], 2))
    *reads, refused = acks
    assert refused["ok"] is False and refused["error"]["code"] == "not_found", refused
    assert all(ack["ok"] for ack in reads), reads
    assert all(ack["data"]["lastReadSeq"] >= 3 for ack in reads), "a marker never moves back"
    finals = [ack["data"] for ack in reads[2::3]]
    assert all((state["lastReadSeq"], state["unreadCount"]) == (4, 0) for state in finals)
    assert await _batches_of_more_than_one(server, "conversation_read") > 0, "no two read markers went together"

    # Each person heard the other's marker reach the end, and both agree over HTTP.
    for client, account, conversation in zip(clients, others, conversations, strict=True):
        await client.wait_for("dm:read", where=lambda d, c=conversation: d["conversationId"] == c
                              and d["userId"] == hub.id and d["lastReadSeq"] == 4)
        listed = await server.request("GET", "/api/v1/conversations", token=account.access_token)
        assert [(c["lastReadSeq"], c["unreadCount"]) for c in listed.body["items"]] == [(4, 0)]
    listed = await server.request("GET", "/api/v1/conversations", token=hub.access_token)
    assert sorted((c["lastReadSeq"], c["unreadCount"]) for c in listed.body["items"]) == [(4, 0)] * len(others)


async def _posts_to_many_channels_at_once_each_keep_their_order(server) -> None:
    """Three senders post 6 messages each to each of 4 channels, all at once: every channel numbers its
    messages 1..18 with none skipped, each sender's in the order sent, and a member hears each channel's
    messages once, in seq order."""
    owner, *senders = [await server.account() for _ in range(4)]
    room = await workspace_with_channel(server, owner, *senders, name="one")
    channel_ids = [room.channel_id]
    for name in ("two", "three", "four"):
        made = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                    token=owner.access_token, json={"name": name})
        assert made.status == 201, made.body
        channel_ids.append(made.body["channel"]["id"])
        for sender in senders:
            added = await server.request("POST", f"/api/v1/channels/{channel_ids[-1]}/members",
                                         token=owner.access_token, json={"userId": sender.id})
            assert added.status == 201, added.body
    clients = [await connect(server, sender) for sender in senders]
    watcher = await connect(server, owner)

    async def post(client, channel_id: str, i: int) -> dict:
        ack = await client.call("message:send", {"channelId": channel_id, "content": f"m{i}", "nonce": nonce()},
                                timeout=20)
        assert ack["ok"], ack
        return ack["data"]["message"]

    per_sender = 6
    sends = {(c, s): [post(client, channel_id, i) for i in range(per_sender)]
             for c, channel_id in enumerate(channel_ids) for s, client in enumerate(clients)}
    order = list(sends)
    results = await asyncio.gather(*(send for key in order for send in sends[key]))
    posted = {key: results[n * per_sender:(n + 1) * per_sender] for n, key in enumerate(order)}

    total = per_sender * len(clients)
    for c, channel_id in enumerate(channel_ids):
        seqs = sorted(m["seq"] for s in range(len(clients)) for m in posted[(c, s)])
        assert seqs == list(range(1, total + 1)), f"channel {c}: every message once, no seq skipped"
        for s in range(len(clients)):
            mine = [m["seq"] for m in posted[(c, s)]]
            assert mine == sorted(mine), f"sender {s} in channel {c}: numbered in the order sent"
        await watcher.wait_for("message:new", where=lambda d, cid=channel_id: d["message"]["channelId"] == cid
                               and d["message"]["seq"] == total, timeout=10)
        heard = [d["message"]["seq"] for name, d in watcher.events
                 if name == "message:new" and d["message"]["channelId"] == channel_id]
        assert heard == list(range(1, total + 1)), f"channel {c}: heard once each, in seq order"
    assert await _batches_of_more_than_one(server) > 0, "no two sends were ever written together"


async def test_posts_to_many_channels_at_once_each_keep_their_order(server):
    await _posts_to_many_channels_at_once_each_keep_their_order(server)


@pytest.mark.settings(POST_LANES="4")
async def test_posts_to_many_channels_at_once_each_keep_their_order_when_posts_go_through_four_lanes(server):
    await _posts_to_many_channels_at_once_each_keep_their_order(server)
