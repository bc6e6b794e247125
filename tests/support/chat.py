"""Setting up workspaces, channels and connected clients the way an app would, over HTTP and sockets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.support.server import Account, RunningServer
from tests.support.sockets import Client


@dataclass
class Room:
    workspace: dict
    channel: dict
    owner: Account
    members: list[Account]

    @property
    def channel_id(self) -> str:
        return self.channel["id"]

    @property
    def everyone(self) -> list[Account]:
        return [self.owner, *self.members]


async def workspace_with_channel(server: RunningServer, owner: Account, *members: Account,
                                 private: bool = False, name: str = "general") -> Room:
    """A workspace owned by `owner` that `members` joined by invite code, with one channel all of them are in."""
    workspace = await server.request("POST", "/api/v1/workspaces", token=owner.access_token,
                                     json={"name": f"Team {uuid.uuid4().hex[:6]}"})
    assert workspace.status == 201, workspace.body
    workspace = workspace.body["workspace"]
    channel = await server.request("POST", f"/api/v1/workspaces/{workspace['id']}/channels",
                                   token=owner.access_token, json={"name": name, "isPrivate": private})
    assert channel.status == 201, channel.body
    channel = channel.body["channel"]
    for member in members:
        joined = await server.request("POST", "/api/v1/workspaces/join", token=member.access_token,
                                      json={"inviteCode": workspace["inviteCode"]})
        assert joined.status == 200, joined.body
        added = await server.request("POST", f"/api/v1/channels/{channel['id']}/members",
                                     token=owner.access_token, json={"userId": member.id})
        assert added.status == 201, added.body
    return Room(workspace, channel, owner, list(members))


async def connect(server: RunningServer, account: Account) -> Client:
    client = Client()
    await client.connect(server.url, account.access_token)
    await client.wait_for("ready")
    return client


def nonce() -> str:
    return uuid.uuid4().hex


async def send(client: Client, channel_id: str, content: str, **extra) -> dict:
    ack = await client.call("message:send", {"channelId": channel_id, "content": content, "nonce": nonce(), **extra})
    assert ack["ok"], ack
    return ack["data"]["message"]
