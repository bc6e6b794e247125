"""The delivery guarantees: no gap or duplicate seq under concurrent writers, idempotent retries,
and a client that was away catching up with `sync`."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.chat import connect, nonce, send, workspace_with_channel


async def test_many_concurrent_senders_get_gap_free_unique_seqs(server):
    owner = await server.account()
    senders = [await server.account() for _ in range(10)]
    room = await workspace_with_channel(server, owner, *senders)
    clients = [await connect(server, account) for account in senders]
    watcher = await connect(server, owner)

    async def burst(client, index: int) -> list[int]:
        seqs = []
        for n in range(20):
            seqs.append((await send(client, room.channel_id, f"{index}-{n}"))["seq"])
        return seqs

    http_posts = [
        server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=senders[i].access_token,
                       json={"content": f"http-{i}", "nonce": nonce()})
        for i in range(10)
    ]
    results = await asyncio.gather(*(burst(c, i) for i, c in enumerate(clients)), *http_posts)
    socket_seqs = [seq for seqs in results[:10] for seq in seqs]
    http_seqs = [response.body["message"]["seq"] for response in results[10:]]
    every = sorted(socket_seqs + http_seqs)
    assert every == list(range(1, 211))
    # Each sender's own messages are in the order it sent them.
    for seqs in results[:10]:
        assert seqs == sorted(seqs)
    # The watcher received all of them, each once.
    await watcher.wait_for("message:new", where=lambda d: True, timeout=5)
    deadline = asyncio.get_running_loop().time() + 10
    while sum(1 for name, _ in watcher.events if name == "message:new") < 210:
        assert asyncio.get_running_loop().time() < deadline, "not every message arrived"
        await asyncio.sleep(0.05)
    received = [data["message"]["seq"] for name, data in watcher.events if name == "message:new"]
    assert sorted(received) == list(range(1, 211))
    for client in [*clients, watcher]:
        await client.close()


async def test_concurrent_retries_of_one_nonce_store_one_message(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    first, second = await connect(server, member), await connect(server, member)
    payload = {"channelId": room.channel_id, "content": "sent twice", "nonce": nonce()}
    acks = await asyncio.gather(*(client.call("message:send", payload) for client in (first, second, first)),
                                server.request("POST", f"/api/v1/channels/{room.channel_id}/messages",
                                               token=member.access_token, json={"content": "sent twice",
                                                                                "nonce": payload["nonce"]}))
    ids = {ack["data"]["message"]["id"] for ack in acks[:3]} | {acks[3].body["message"]["id"]}
    assert len(ids) == 1
    history = await server.request("GET", f"/api/v1/channels/{room.channel_id}/messages", token=owner.access_token)
    assert [m["seq"] for m in history.body["messages"]] == [1]
    # A later message takes seq 2: the losing retries left no gap.
    assert (await send(first, room.channel_id, "next"))["seq"] == 2
    await first.close()
    await second.close()


async def test_a_client_that_was_away_catches_up_with_sync(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    writer = await connect(server, owner)
    reader = await connect(server, member)
    kept = await send(writer, room.channel_id, "seen before leaving")
    to_edit = await send(writer, room.channel_id, "will be edited")
    to_delete = await send(writer, room.channel_id, "will be deleted")
    to_react = await send(writer, room.channel_id, "will get a reaction")
    await reader.wait_for("message:new", where=lambda d: d["message"]["id"] == to_react["id"])
    held = to_react["changeSeq"]
    await reader.close()

    await writer.call("message:edit", {"messageId": to_edit["id"], "version": 1, "content": "edited"})
    await writer.call("message:delete", {"messageId": to_delete["id"]})
    await writer.call("reaction:add", {"messageId": to_react["id"], "emoji": "🎉"})
    new = await send(writer, room.channel_id, "new while away")

    back = await connect(server, member)
    ack = await back.call("sync", {"channels": {room.channel_id: held}})
    assert ack["ok"], ack
    changes = ack["data"]["channels"][room.channel_id]
    by_id = {m["id"]: m for m in changes["messages"]}
    assert set(by_id) == {to_edit["id"], to_delete["id"], to_react["id"], new["id"]}
    assert kept["id"] not in by_id
    assert by_id[to_edit["id"]]["content"] == "edited" and by_id[to_edit["id"]]["version"] == 2
    assert by_id[to_delete["id"]]["isDeleted"] and by_id[to_delete["id"]]["content"] == ""
    assert by_id[to_react["id"]]["reactions"] == [{"emoji": "🎉", "count": 1, "userIds": [owner.id]}]
    assert [m["changeSeq"] for m in changes["messages"]] == sorted(m["changeSeq"] for m in changes["messages"])
    assert changes["hasMore"] is False
    assert changes["lastChangeSeq"] == max(m["changeSeq"] for m in changes["messages"])
    # Nothing changed since: an empty answer at the same changeSeq.
    again = await back.call("sync", {"channels": {room.channel_id: changes["lastChangeSeq"]}})
    assert again["data"]["channels"][room.channel_id] == {"messages": [], "lastChangeSeq": changes["lastChangeSeq"],
                                                          "hasMore": False}
    await writer.close()
    await back.close()


@pytest.mark.settings(RATE_LIMIT_SEND="1000/1")
async def test_sync_pages_when_more_changed_than_a_page_holds(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    for n in range(130):
        response = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages",
                                        token=owner.access_token, json={"content": f"m{n}", "nonce": nonce()})
        assert response.status == 201
    client = await connect(server, owner)
    seen, held, calls = [], 0, 0
    while True:
        calls += 1
        ack = await client.call("sync", {"channels": {room.channel_id: held}})
        changes = ack["data"]["channels"][room.channel_id]
        seen.extend(m["seq"] for m in changes["messages"])
        held = changes["lastChangeSeq"]
        if not changes["hasMore"]:
            break
    assert calls == 2 and seen == list(range(1, 131)) and held == 130
    await client.close()


async def test_sync_answers_unreadable_streams_with_an_error_and_the_rest_normally(server):
    owner, outsider = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner)
    await send(await connect(server, owner), room.channel_id, "secret")
    client = await connect(server, outsider)
    ack = await client.call("sync", {"channels": {room.channel_id: 0, "00000000-0000-0000-0000-000000000000": 0}})
    assert ack["ok"]
    assert ack["data"]["channels"][room.channel_id]["error"]["code"] == "not_found"
    await client.close()
