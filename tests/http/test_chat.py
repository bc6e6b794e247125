"""The chat resources over HTTP, and HTTP changes broadcast like socket ones."""

from __future__ import annotations

from urllib.parse import quote

from tests.http.test_auth import assert_problem
from tests.support.chat import connect, nonce, workspace_with_channel


async def test_workspace_lifecycle_and_invite_code_visibility(server):
    owner, member = await server.account(), await server.account()
    created = await server.request("POST", "/api/v1/workspaces", token=owner.access_token,
                                   json={"name": "Acme Inc", "description": "makers"})
    assert created.status == 201
    workspace = created.body["workspace"]
    assert workspace["slug"] == "acme-inc" and workspace["role"] == "OWNER" and workspace["inviteCode"]
    duplicate = await server.request("POST", "/api/v1/workspaces", token=owner.access_token,
                                     json={"name": "Other", "slug": "acme-inc"})
    assert_problem(duplicate, 409, "conflict")

    assert_problem(await server.request("POST", "/api/v1/workspaces/join", token=member.access_token,
                                        json={"inviteCode": "nope"}), 404, "not_found")
    joined = await server.request("POST", "/api/v1/workspaces/join", token=member.access_token,
                                  json={"inviteCode": workspace["inviteCode"]})
    assert joined.body["workspace"]["role"] == "MEMBER" and joined.body["workspace"]["inviteCode"] is None
    mine = await server.request("GET", "/api/v1/workspaces", token=member.access_token)
    assert [w["id"] for w in mine.body["items"]] == [workspace["id"]]

    members = await server.request("GET", f"/api/v1/workspaces/{workspace['id']}/members",
                                    token=member.access_token)
    assert {m["userId"]: m["role"] for m in members.body["items"]} == {owner.id: "OWNER", member.id: "MEMBER"}
    assert_problem(await server.request("PATCH", f"/api/v1/workspaces/{workspace['id']}", token=member.access_token,
                                        json={"name": "Mine"}), 403, "forbidden")
    renamed = await server.request("PATCH", f"/api/v1/workspaces/{workspace['id']}", token=owner.access_token,
                                   json={"name": "Acme"})
    assert renamed.body["workspace"]["name"] == "Acme"
    promoted = await server.request("PATCH", f"/api/v1/workspaces/{workspace['id']}/members/{member.id}",
                                    token=owner.access_token, json={"role": "ADMIN"})
    assert promoted.body["role"] == "ADMIN"
    admin_view = await server.request("GET", f"/api/v1/workspaces/{workspace['id']}", token=member.access_token)
    assert admin_view.body["workspace"]["inviteCode"] == workspace["inviteCode"]
    assert_problem(await server.request("DELETE", f"/api/v1/workspaces/{workspace['id']}/members/{owner.id}",
                                        token=member.access_token), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"/api/v1/workspaces/{workspace['id']}",
                                        token=member.access_token), 403, "forbidden")
    assert (await server.request("DELETE", f"/api/v1/workspaces/{workspace['id']}",
                                 token=owner.access_token)).status == 204
    assert_problem(await server.request("GET", f"/api/v1/workspaces/{workspace['id']}", token=owner.access_token),
                   404, "not_found")


async def test_leaving_a_workspace_leaves_its_channels(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    client = await connect(server, member)
    left = await server.request("DELETE", f"/api/v1/workspaces/{room.workspace['id']}/members/{member.id}",
                                token=member.access_token)
    assert left.status == 204
    members = await server.request("GET", f"/api/v1/channels/{room.channel_id}/members", token=owner.access_token)
    assert [m["userId"] for m in members.body["items"]] == [owner.id]
    await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=owner.access_token,
                         json={"content": "after they left", "nonce": nonce()})
    ack = await client.call("channel:history", {"channelId": room.channel_id})
    assert ack["error"]["code"] == "not_found"
    assert not any(name == "message:new" for name, _ in client.events)


async def test_channels_are_unique_per_workspace_and_listed(server):
    owner = await server.account()
    room = await workspace_with_channel(server, owner)
    again = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                 token=owner.access_token, json={"name": "general"})
    assert_problem(again, 409, "conflict")
    bad = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                               token=owner.access_token, json={"name": "Has Spaces", "type": "CHAT"})
    assert_problem(bad, 422, "invalid")
    assert set(bad.body["errors"]) == {"name", "type"}
    for name, kind in (("voice-room", "VOICE"), ("forum", "FORUM")):
        made = await server.request("POST", f"/api/v1/workspaces/{room.workspace['id']}/channels",
                                    token=owner.access_token, json={"name": name, "type": kind})
        assert made.body["channel"]["type"] == kind
    page = await server.request("GET", f"/api/v1/workspaces/{room.workspace['id']}/channels?limit=2",
                                token=owner.access_token)
    assert [c["name"] for c in page.body["items"]] == ["forum", "general"] and page.body["nextCursor"]
    rest = await server.request(
        "GET", f"/api/v1/workspaces/{room.workspace['id']}/channels?limit=2&cursor={page.body['nextCursor']}",
        token=owner.access_token)
    assert [c["name"] for c in rest.body["items"]] == ["voice-room"] and rest.body["nextCursor"] is None
    assert_problem(await server.request("GET", f"/api/v1/workspaces/{room.workspace['id']}/channels?cursor=zz!",
                                        token=owner.access_token), 422, "invalid")


async def test_a_message_posted_over_http_is_broadcast_like_one_from_a_socket(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    listener = await connect(server, member)
    posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=owner.access_token,
                                  json={"content": "from an integration", "nonce": nonce()})
    assert posted.status == 201
    assert (await listener.wait_for("message:new"))["message"] == posted.body["message"]
    page = await server.request("GET", f"/api/v1/channels/{room.channel_id}/messages?limit=10",
                                token=member.access_token)
    assert page.body == {"messages": [posted.body["message"]], "hasMore": False}


async def test_optimistic_locking_over_http_with_etag_and_if_match(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    listener = await connect(server, member)
    posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=owner.access_token,
                                  json={"content": "v1", "nonce": nonce()})
    message_id = posted.body["message"]["id"]
    got = await server.request("GET", f"/api/v1/messages/{message_id}", token=owner.access_token)
    assert got.headers["ETag"] == '"1"'
    edited = await server.request("PATCH", f"/api/v1/messages/{message_id}", token=owner.access_token,
                                  json={"content": "v2"}, headers={"If-Match": '"1"'})
    assert edited.status == 200 and edited.headers["ETag"] == '"2"'
    assert (await listener.wait_for("message:updated"))["message"]["content"] == "v2"
    stale = await server.request("PATCH", f"/api/v1/messages/{message_id}", token=owner.access_token,
                                 json={"content": "v3"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412, "version_conflict")
    assert stale.body["details"]["current"]["content"] == "v2"
    stale_delete = await server.request("DELETE", f"/api/v1/messages/{message_id}", token=owner.access_token,
                                        headers={"If-Match": '"1"'})
    assert_problem(stale_delete, 412, "version_conflict")
    assert_problem(await server.request("PATCH", f"/api/v1/messages/{message_id}", token=owner.access_token,
                                        json={"content": "v3"}, headers={"If-Match": "yesterday"}),
                   422, "invalid")
    edits = await server.request("GET", f"/api/v1/messages/{message_id}/edits", token=member.access_token)
    assert [(e["version"], e["content"]) for e in edits.body["items"]] == [(1, "v1")]
    deleted = await server.request("DELETE", f"/api/v1/messages/{message_id}", token=owner.access_token,
                                   headers={"If-Match": '"2"'})
    assert deleted.status == 200 and deleted.body == {"messageId": message_id}
    assert (await listener.wait_for("message:deleted"))["messageId"] == message_id


async def test_reactions_and_pins_over_http(server):
    owner, member = await server.account(), await server.account()
    room = await workspace_with_channel(server, owner, member)
    listener = await connect(server, owner)
    posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=owner.access_token,
                                  json={"content": "nice", "nonce": nonce()})
    message_id = posted.body["message"]["id"]
    emoji = quote("🚀")
    added = await server.request("PUT", f"/api/v1/messages/{message_id}/reactions/{emoji}", token=member.access_token)
    assert added.status == 200
    assert added.body == {"messageId": message_id, "reactions": [{"emoji": "🚀", "count": 1, "userIds": [member.id]}]}
    assert (await listener.wait_for("reaction:updated"))["reactions"][0]["emoji"] == "🚀"
    removed = await server.request("DELETE", f"/api/v1/messages/{message_id}/reactions/{emoji}",
                                   token=member.access_token)
    assert removed.body["reactions"] == []
    pinned = await server.request("PUT", f"/api/v1/messages/{message_id}/pin", token=member.access_token)
    assert pinned.body["message"]["isPinned"]
    pins = await server.request("GET", f"/api/v1/channels/{room.channel_id}/pins", token=owner.access_token)
    assert [m["id"] for m in pins.body["items"]] == [message_id]
    unpinned = await server.request("DELETE", f"/api/v1/messages/{message_id}/pin", token=owner.access_token)
    assert unpinned.body["message"]["isPinned"] is False
    pins = await server.request("GET", f"/api/v1/channels/{room.channel_id}/pins", token=owner.access_token)
    assert pins.body["items"] == []
