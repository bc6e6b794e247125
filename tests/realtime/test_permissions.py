"""Who may do what: non-members, guests, private and archived channels."""

from __future__ import annotations

import pytest

from tests.support.chat import connect, nonce, send, workspace_with_channel


async def test_a_workspace_member_outside_the_channel_may_join_a_public_one_but_not_post_before(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner)
    await server.request("POST", "/api/v1/workspaces/join", token=member.access_token,
                         json={"inviteCode": room.workspace["inviteCode"]})
    client = await connect(server, member)
    payload = {"channelId": room.channel_id, "content": "hi", "nonce": nonce()}
    assert (await client.call("message:send", payload))["error"]["code"] == "forbidden"
    assert (await client.call("channel:history", {"channelId": room.channel_id}))["error"]["code"] == "forbidden"
    watcher = await connect(server, owner)
    joined = await client.call("channel:join", {"channelId": room.channel_id})
    assert joined["ok"] and joined["data"]["lastSeq"] == 0 and joined["data"]["channel"]["isMember"]
    assert (await watcher.wait_for("channel:member_joined"))["userId"] == member.id
    # Joining moved this socket into the room: it hears messages now, without reconnecting.
    await send(watcher, room.channel_id, "welcome")
    assert (await client.wait_for("message:new"))["message"]["content"] == "welcome"
    assert (await client.call("message:send", payload | {"nonce": nonce()}))["ok"]
    left = await client.call("channel:leave", {"channelId": room.channel_id})
    assert left == {"ok": True, "data": {}}
    assert (await watcher.wait_for("channel:member_left"))["userId"] == member.id


async def test_people_outside_the_workspace_cannot_see_the_channel(server):
    owner, outsider = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner)
    client = await connect(server, outsider)
    for event, payload in (("channel:join", {"channelId": room.channel_id}),
                           ("message:send", {"channelId": room.channel_id, "content": "x", "nonce": nonce()}),
                           ("channel:history", {"channelId": room.channel_id})):
        assert (await client.call(event, payload))["error"]["code"] == "not_found", event
    message = await send(await connect(server, owner), room.channel_id, "private words")
    for event in ("message:delete", "message:pin"):
        assert (await client.call(event, {"messageId": message["id"]}))["error"]["code"] == "not_found"
    assert (await client.call("reaction:add", {"messageId": message["id"], "emoji": "x"}))["error"]["code"] \
        == "not_found"
    response = await server.request("GET", f"/api/v1/messages/{message['id']}", token=outsider.access_token)
    assert response.status == 404


async def test_private_channels_are_joined_only_by_invitation(server):
    owner, member, other = await server.account(), await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member, private=True, name="secret")
    await server.request("POST", "/api/v1/workspaces/join", token=other.access_token,
                         json={"inviteCode": room.workspace["inviteCode"]})
    client = await connect(server, other)
    assert (await client.call("channel:join", {"channelId": room.channel_id}))["error"]["code"] == "not_found"
    listed = await server.request("GET", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                  token=other.access_token)
    assert room.channel_id not in [c["id"] for c in listed.body["items"]]
    # A member adds them; their open socket is in the room at once.
    added = await server.request("POST", f"/api/v1/channels/{room.channel_id}/members",
                                 token=member.access_token, json={"userId": other.id})
    assert added.status == 201
    await send(await connect(server, member), room.channel_id, "welcome in")
    assert (await client.wait_for("message:new"))["message"]["content"] == "welcome in"


async def test_guests_neither_create_nor_join_channels(server):
    owner, guest = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, guest)
    workspace_id = room.workspace["id"]
    made_guest = await server.request("PATCH", f"/api/v1/workspaces/{workspace_id}/members/{guest.id}",
                                      token=owner.access_token, json={"role": "GUEST"})
    assert made_guest.status == 200 and made_guest.body["role"] == "GUEST"
    created = await server.request("POST", f"/api/v1/workspaces/{workspace_id}/channels", token=guest.access_token,
                                   json={"name": "guest-room"})
    assert created.status == 403 and created.body["code"] == "forbidden"
    other = await server.request("POST", f"/api/v1/workspaces/{workspace_id}/channels", token=owner.access_token,
                                 json={"name": "random"})
    client = await connect(server, guest)
    assert (await client.call("channel:join", {"channelId": other.body["channel"]["id"]}))["error"]["code"] \
        == "forbidden"
    # Where a member added them, a guest talks like anyone.
    assert (await send(client, room.channel_id, "hello from a guest"))["seq"] == 1


async def test_archived_channels_are_read_only(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    writer = await connect(server, owner)
    message = await send(writer, room.channel_id, "before the archive")
    reader = await connect(server, member)
    denied = await server.request("POST", f"/api/v1/channels/{room.channel_id}/archive", token=member.access_token)
    assert denied.status == 403
    archived = await server.request("POST", f"/api/v1/channels/{room.channel_id}/archive", token=owner.access_token)
    assert archived.status == 200 and archived.body["channel"]["isArchived"]
    assert (await reader.wait_for("channel:archived"))["channelId"] == room.channel_id
    for event, payload in (
        ("message:send", {"channelId": room.channel_id, "content": "x", "nonce": nonce()}),
        ("message:edit", {"messageId": message["id"], "version": 1, "content": "y"}),
        ("reaction:add", {"messageId": message["id"], "emoji": "👍"}),
        ("typing", {"channelId": room.channel_id, "typing": True}),
    ):
        ack = await writer.call(event, payload)
        assert ack["error"]["code"] == "forbidden", event
    history = await reader.call("channel:history", {"channelId": room.channel_id})
    assert [m["content"] for m in history["data"]["messages"]] == ["before the archive"]


@pytest.mark.parametrize("role", ["MEMBER", "GUEST"])
async def test_only_admins_change_channels_and_roles(server, role):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    if role == "GUEST":
        await server.request("PATCH", f"/api/v1/workspaces/{room.workspace['id']}/members/{member.id}",
                             token=owner.access_token, json={"role": "GUEST"})
    rename = await server.request("PATCH", f"/api/v1/channels/{room.channel_id}", token=member.access_token,
                                  json={"topic": "mine now"})
    assert rename.status == 403
    promote = await server.request("PATCH", f"/api/v1/workspaces/{room.workspace['id']}/members/{member.id}",
                                   token=member.access_token, json={"role": "ADMIN"})
    assert promote.status == 403
    mute = await server.request("PATCH", f"/api/v1/channels/{room.channel_id}", token=member.access_token,
                                json={"isMuted": True})
    assert mute.status == 200
