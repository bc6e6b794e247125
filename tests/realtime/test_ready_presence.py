"""`ready` carries the presence of the people near the user (self, direct conversation partners,
channel-mates; at most READY_PRESENCE_LIMIT), and says with `presenceComplete` whether that is everyone
who shares a workspace with the user; the others are a `presence:get` away."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.settings import Settings, SettingsError
from tests.support.chat import connect, workspace_with_channel
from tests.support.sockets import Client


async def _join(server, account, room) -> None:
    """Into the room's workspace by its invite code, and into none of its channels."""
    joined = await server.request("POST", "/api/v1/workspaces/join", token=account.access_token,
                                  json={"inviteCode": room.workspace["inviteCode"]})
    assert joined.status == 200, joined.body


async def _channel(server, room, name: str, *members) -> dict:
    """Another channel of the room's workspace, made by its owner, with these members added."""
    made = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                token=room.owner.access_token, json={"name": name})
    assert made.status == 201, made.body
    for member in members:
        added = await server.request("POST", f"/api/v1/channels/{made.body['channel']['id']}/members",
                                     token=room.owner.access_token, json={"userId": member.id})
        assert added.status == 201, added.body
    return made.body["channel"]


async def _open_dm(server, account, other) -> None:
    opened = await server.request("POST", "/api/v1/conversations", token=account.access_token,
                                  json={"userId": other.id})
    assert opened.status in (200, 201), opened.body


def _seen(ready: dict) -> dict[str, str]:
    return {p["userId"]: p["status"] for p in ready["presence"]}


async def test_ready_leaves_out_workspace_mates_who_share_no_channel_and_presence_get_gives_them(server):
    alice, bob, carol, dave = [await server.account() for _ in range(4)]
    room = await workspace_with_channel(server, alice, bob)
    await _join(server, carol, room)
    await _join(server, dave, room)
    await connect(server, carol)  # online, yet shares no channel or conversation with alice

    client = await connect(server, alice)
    ready = await client.wait_for("ready")
    assert set(_seen(ready)) == {alice.id, bob.id}, "only self and the channel-mate"
    assert ready["presenceComplete"] is False, "carol and dave share the workspace but were left out"

    ack = await client.call("presence:get", {"userIds": [carol.id, dave.id]})
    assert ack["ok"], ack
    assert {p["userId"]: p["status"] for p in ack["data"]["presence"]} == {carol.id: "ONLINE", dave.id: "OFFLINE"}

    await connect(server, dave)  # their changes still reach alice, as to everyone sharing the workspace
    came = await client.wait_for("presence", where=lambda d: d["userId"] == dave.id)
    assert came["status"] == "ONLINE"


async def test_a_small_workspace_where_all_share_a_channel_gives_everyone_and_complete(server):
    alice, bob, carol = [await server.account() for _ in range(3)]
    await workspace_with_channel(server, alice, bob, carol)
    await connect(server, bob)

    ready = await (await connect(server, alice)).wait_for("ready")
    assert _seen(ready) == {alice.id: "ONLINE", bob.id: "ONLINE", carol.id: "OFFLINE"}
    assert ready["presenceComplete"] is True


async def test_a_direct_conversation_partner_is_in_ready_without_a_shared_channel(server):
    alice, bob, carol = [await server.account() for _ in range(3)]
    room = await workspace_with_channel(server, alice, bob)
    await _join(server, carol, room)
    await _open_dm(server, carol, alice)

    ready = await (await connect(server, alice)).wait_for("ready")
    assert set(_seen(ready)) == {alice.id, bob.id, carol.id}
    assert ready["presenceComplete"] is True, "everyone sharing the workspace is there"


async def test_someone_in_no_workspace_gets_an_empty_but_complete_presence(server):
    alice = await server.account()
    ready = await (await connect(server, alice)).wait_for("ready")
    assert ready["presence"] == [] and ready["presenceComplete"] is True, "nobody shares a workspace with alice"


@pytest.mark.settings(READY_PRESENCE_LIMIT="3")
async def test_ready_keeps_self_and_dm_partners_first_then_present_channel_mates_when_the_limit_is_small(server):
    alice, partner = await server.account(), await server.account()
    mates = [await server.account() for _ in range(4)]
    room = await workspace_with_channel(server, alice, *mates)
    await _join(server, partner, room)
    await _open_dm(server, partner, alice)
    await connect(server, mates[2])  # the one channel-mate online

    client = await connect(server, alice)
    ready = await client.wait_for("ready")
    assert list(_seen(ready)) == [alice.id, partner.id, mates[2].id], "self, the DM partner, the online mate"
    assert ready["presenceComplete"] is False, "three channel-mates did not fit"

    ack = await client.call("presence:get", {"userIds": [m.id for m in mates]})
    assert {p["userId"] for p in ack["data"]["presence"]} == {m.id for m in mates}


@pytest.mark.settings(READY_PRESENCE_LIMIT="3")
async def test_ready_exactly_at_the_limit_is_complete_when_the_limit_is_small(server):
    alice, bob, carol = [await server.account() for _ in range(3)]
    await workspace_with_channel(server, alice, bob, carol)
    ready = await (await connect(server, alice)).wait_for("ready")
    assert set(_seen(ready)) == {alice.id, bob.id, carol.id} and ready["presenceComplete"] is True


async def test_a_lean_connect_gets_no_presence_and_is_not_complete(server):
    alice, bob = await server.account(), await server.account()
    await workspace_with_channel(server, alice, bob)
    lean = Client()
    await lean.connect(server.url, alice.access_token, auth_options={"presence": "none"})
    ready = await lean.wait_for("ready")
    assert ready["presence"] == [] and ready["presenceComplete"] is False
    assert ready["channels"], "everything but presence is still there"


async def test_many_clients_connecting_at_once_each_get_their_own_ready_presence(server):
    owner = await server.account()
    reds = [await server.account() for _ in range(6)]
    blues = [await server.account() for _ in range(6)]
    room = await workspace_with_channel(server, owner, *reds, name="red")
    for blue in blues:
        await _join(server, blue, room)
    await _channel(server, room, "blue", *blues)  # the owner made it, so is in both
    people = [owner, *reds, *blues]

    clients = await asyncio.gather(*(connect(server, person) for person in people))
    readies = await asyncio.gather(*(client.wait_for("ready") for client in clients))

    everyone = {person.id for person in people}
    for person, ready in zip(people, readies, strict=True):
        assert ready["user"]["id"] == person.id
        seen = set(_seen(ready))
        if person is owner:
            assert seen == everyone and ready["presenceComplete"] is True
        else:
            group = reds if person in reds else blues
            assert seen == {owner.id, *(p.id for p in group)}, person.username
            assert ready["presenceComplete"] is False


@pytest.mark.parametrize("value", ["0", "-5", "many", "2.5"])
def test_the_limit_refuses_what_is_not_a_whole_number_of_people(value):
    with pytest.raises(SettingsError, match="READY_PRESENCE_LIMIT"):
        Settings.from_env({"READY_PRESENCE_LIMIT": value})
    assert Settings.from_env({}).ready_presence_limit == 500
    assert Settings.from_env({"READY_PRESENCE_LIMIT": "1"}).ready_presence_limit == 1
