"""Channel messages over real sockets: send, broadcast, history, edit, delete, pin, reactions, threads."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.chat import connect, nonce, send, workspace_with_channel


@pytest.fixture
async def trio(server):
    """Three people in one channel, each connected."""
    alice, bob, carol = [await server.account(name) for name in ("alice", "bob", "carol")]
    room = await workspace_with_channel(server, alice, bob, carol)
    clients = [await connect(server, account) for account in room.everyone]
    yield room, clients
    for client in clients:
        await client.close()


async def test_ready_lists_the_channel_with_counters(trio):
    room, (alice, bob, carol) = trio
    ready = bob.events[[name for name, _ in bob.events].index("ready")][1]
    channel = next(c for c in ready["channels"] if c["id"] == room.channel_id)
    assert channel == {"id": room.channel_id, "workspaceId": room.workspace["id"], "name": "general",
                       "type": "TEXT", "isArchived": False, "isMuted": False, "lastSeq": 0, "lastChangeSeq": 0,
                       "lastReadSeq": 0, "unreadCount": 0, "mentionCount": 0}
    assert {p["userId"] for p in ready["presence"]} >= {a.id for a in room.everyone}


async def test_a_message_reaches_every_member_once_with_the_ack_shape(trio):
    room, (alice, bob, carol) = trio
    message = await send(alice, room.channel_id, "hello team")
    assert message["seq"] == 1 and message["changeSeq"] == 1 and message["version"] == 1
    assert message["userId"] == room.owner.id and message["content"] == "hello team"
    assert message["reactions"] == [] and message["attachments"] == [] and message["mentions"] == []
    assert message["createdAt"].endswith("Z")
    for client in (alice, bob, carol):
        got = await client.wait_for("message:new")
        assert got["message"] == message
    await asyncio.sleep(0.1)
    assert sum(1 for name, _ in bob.events if name == "message:new") == 1


async def test_seq_counts_up_and_history_pages_in_ascending_order(trio):
    room, (alice, bob, _) = trio
    sent = [await send(alice if i % 2 else bob, room.channel_id, f"m{i}") for i in range(7)]
    assert [m["seq"] for m in sent] == list(range(1, 8))
    page = await bob.call("channel:history", {"channelId": room.channel_id, "limit": 3})
    assert page["ok"] and page["data"]["hasMore"] is True
    assert [m["content"] for m in page["data"]["messages"]] == ["m4", "m5", "m6"]
    older = await bob.call("channel:history", {"channelId": room.channel_id, "beforeSeq": 5, "limit": 10})
    assert [m["seq"] for m in older["data"]["messages"]] == [1, 2, 3, 4] and older["data"]["hasMore"] is False
    newer = await bob.call("channel:history", {"channelId": room.channel_id, "afterSeq": 2, "limit": 2})
    assert [m["seq"] for m in newer["data"]["messages"]] == [3, 4] and newer["data"]["hasMore"] is True


async def test_retrying_a_send_with_the_same_nonce_returns_the_first_message(trio):
    room, (alice, bob, _) = trio
    payload = {"channelId": room.channel_id, "content": "only once", "nonce": nonce()}
    first = await alice.call("message:send", payload)
    second = await alice.call("message:send", payload | {"content": "changed my mind"})
    assert second["ok"] and second["data"]["message"] == first["data"]["message"]
    await asyncio.sleep(0.2)
    assert sum(1 for name, _ in bob.events if name == "message:new") == 1
    again = await bob.call("channel:history", {"channelId": room.channel_id})
    assert [m["content"] for m in again["data"]["messages"]] == ["only once"]


async def test_edit_with_the_current_version_and_conflict_with_an_old_one(trio):
    room, (alice, bob, _) = trio
    message = await send(alice, room.channel_id, "first draft")
    edited = await alice.call("message:edit", {"messageId": message["id"], "version": 1, "content": "second"})
    assert edited["ok"]
    updated = edited["data"]["message"]
    assert (updated["content"], updated["version"], updated["isEdited"]) == ("second", 2, True)
    assert updated["changeSeq"] == message["changeSeq"] + 1 and updated["seq"] == message["seq"]
    assert (await bob.wait_for("message:updated"))["message"] == updated

    stale = await alice.call("message:edit", {"messageId": message["id"], "version": 1, "content": "third"})
    assert stale["ok"] is False and stale["error"]["code"] == "version_conflict"
    assert stale["error"]["details"]["current"]["content"] == "second"
    assert stale["error"]["details"]["current"]["version"] == 2


async def test_only_the_author_edits_and_the_author_or_a_moderator_deletes(trio):
    room, (alice, bob, carol) = trio
    message = await send(bob, room.channel_id, "bob's words")
    not_author = await carol.call("message:edit", {"messageId": message["id"], "version": 1, "content": "x"})
    assert not_author["error"]["code"] == "forbidden"
    not_moderator = await carol.call("message:delete", {"messageId": message["id"]})
    assert not_moderator["error"]["code"] == "forbidden"
    # alice owns the workspace: a moderator and more.
    deleted = await alice.call("message:delete", {"messageId": message["id"]})
    assert deleted == {"ok": True, "data": {"messageId": message["id"]}}
    event = await carol.wait_for("message:deleted")
    assert event == {"messageId": message["id"], "channelId": room.channel_id, "seq": 1,
                     "changeSeq": message["changeSeq"] + 1}
    history = await carol.call("channel:history", {"channelId": room.channel_id})
    kept = history["data"]["messages"][0]
    assert kept["seq"] == 1 and kept["isDeleted"] and kept["content"] == "" and kept["deletedAt"]


async def test_pins(trio):
    room, (alice, bob, _) = trio
    message = await send(alice, room.channel_id, "pin me")
    pinned = await bob.call("message:pin", {"messageId": message["id"], "pinned": True})
    assert pinned["data"]["message"]["isPinned"] and pinned["data"]["message"]["version"] == 2
    assert (await alice.wait_for("message:updated"))["message"]["isPinned"]


async def test_reactions_are_unique_per_user_and_counted(trio):
    room, (alice, bob, carol) = trio
    message = await send(alice, room.channel_id, "react to this")
    for client in (bob, carol, bob):
        ack = await client.call("reaction:add", {"messageId": message["id"], "emoji": "👍"})
        assert ack["ok"]
    assert ack["data"]["reactions"] == [{"emoji": "👍", "count": 2, "userIds": [room.members[0].id,
                                                                                room.members[1].id]}]
    updates = [data for name, data in alice.events if name == "reaction:updated"]
    await alice.wait_for("reaction:updated", where=lambda d: d["reactions"][0]["count"] == 2)
    updates = [data for name, data in alice.events if name == "reaction:updated"]
    assert len(updates) == 2  # the repeated add changed nothing and broadcast nothing
    assert updates[-1]["channelId"] == room.channel_id and updates[-1]["changeSeq"] == message["changeSeq"] + 2
    removed = await carol.call("reaction:remove", {"messageId": message["id"], "emoji": "👍"})
    assert removed["data"]["reactions"][0]["count"] == 1


async def test_threads_count_replies_and_list_them(trio):
    room, (alice, bob, _) = trio
    root = await send(alice, room.channel_id, "thread root")
    await send(bob, room.channel_id, "reply one", parentId=root["id"])
    await send(alice, room.channel_id, "reply two", parentId=root["id"])
    await send(bob, room.channel_id, "unrelated")
    thread = await bob.call("channel:history", {"channelId": room.channel_id, "parentId": root["id"]})
    assert [m["content"] for m in thread["data"]["messages"]] == ["reply one", "reply two"]
    updated_root = await bob.wait_for("message:updated", where=lambda d: d["message"]["threadReplyCount"] == 2)
    assert updated_root["message"]["id"] == root["id"]
    bad = await bob.call("message:send", {"channelId": room.channel_id, "content": "x", "nonce": nonce(),
                                          "parentId": thread["data"]["messages"][0]["id"]})
    assert bad["error"]["code"] == "invalid" and "parentId" in bad["error"]["details"]["fields"]


async def test_mentions_are_recorded_and_counted_until_read(server, trio):
    room, (alice, bob, carol) = trio
    message = await send(alice, room.channel_id, f"hey @{room.members[0].username}, and @nobody")
    await send(alice, room.channel_id, "no mention here")
    assert message["mentions"] == [room.members[0].id]
    later = await connect(server, room.members[0])
    ready = await later.wait_for("ready")
    state = next(c for c in ready["channels"] if c["id"] == room.channel_id)
    assert (state["lastSeq"], state["lastReadSeq"], state["unreadCount"], state["mentionCount"]) == (2, 0, 2, 1)
    read = await bob.call("channel:read", {"channelId": room.channel_id, "seq": 1})
    assert read["data"] == {"channelId": room.channel_id, "lastReadSeq": 1, "unreadCount": 1, "mentionCount": 0}
    # The reader's other socket hears about it; the one that read does not.
    synced = await later.wait_for("channel:read")
    assert synced["lastReadSeq"] == 1
    await asyncio.sleep(0.1)
    assert not any(name == "channel:read" for name, _ in bob.events)
    await later.close()
