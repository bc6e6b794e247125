"""SmileFactory groups: both seed versions in one table, visibility (hidden groups are not found),
open / approval / invite-code joining, the member cap under concurrent joins, roles, bans and
leaving, the exact member count, and the group's chat channel over real Socket.IO clients."""

from __future__ import annotations

import asyncio

from tests.http.test_auth import assert_problem
from tests.support.chat import connect, nonce, send
from tests.support.roles import admin as platform_admin

V1 = "/api/v1"


async def _group(server, admin, **extra) -> dict:
    created = await server.request("POST", f"{V1}/groups", token=admin.access_token,
                                   json={"name": "Harare fintech builders", "category": "fintech", **extra})
    assert created.status == 201, created.body
    return created.body


async def _join(server, account, group, **body):
    return await server.request("POST", f"{V1}/groups/{group['id']}/join", token=account.access_token, json=body)


async def _get(server, account, group):
    return await server.request("GET", f"{V1}/groups/{group['id']}", token=account.access_token)


async def _members(server, account, group, **query) -> list[dict]:
    params = "&".join(f"{name}={value}" for name, value in {"limit": 100, **query}.items())
    listed = await server.request("GET", f"{V1}/groups/{group['id']}/members?{params}", token=account.access_token)
    assert listed.status == 200, listed.body
    return listed.body["items"]


async def _act(server, account, group, user, action: str):
    return await server.request("POST", f"{V1}/groups/{group['id']}/members/{user.id}/{action}",
                                token=account.access_token)


async def _set_role(server, account, group, user, role: str):
    return await server.request("PUT", f"{V1}/groups/{group['id']}/members/{user.id}/role",
                                token=account.access_token, json={"role": role})


async def test_a_group_holds_both_seed_versions_and_refuses_what_does_not_fit(server):
    admin, other = await server.account(), await server.account()
    group = await _group(server, admin, description="Founders and engineers", visibility="private",
                         membershipType="approval_required", maxMembers=50, rules="Be kind",
                         coverImageUrl="https://img.example.com/c.png", tags=["fintech", "zimbabwe"],
                         location="Harare")
    assert group["memberCount"] == 1 and group["myRole"] == "admin" and group["myStatus"] == "active"
    assert group["rules"] == "Be kind" and group["location"] == "Harare" and group["tags"] == ["fintech", "zimbabwe"]
    assert group["createdBy"] == admin.id and group["status"] == "active" and len(group["inviteCode"]) >= 24
    # The invite code is the admins' to give; others see the group without it.
    seen = await _get(server, other, group)
    assert seen.status == 200 and seen.body["inviteCode"] is None and seen.body["myStatus"] is None
    # The group's chat is a private channel of the core that its admin is in.
    channel = await server.request("GET", f"{V1}/channels/{group['channelId']}", token=admin.access_token)
    assert channel.status == 200 and channel.body["channel"]["isPrivate"] and channel.body["channel"]["isMember"]
    assert_problem(await server.request("GET", f"{V1}/channels/{group['channelId']}", token=other.access_token),
                   404, "not_found")

    refused = {
        "no name": {"name": ""},
        "blank name": {"name": "   "},
        "unknown visibility": {"visibility": "secret"},
        "seed v1's invite-only as a visibility": {"visibility": "invite-only"},
        "unknown membership": {"membershipType": "closed"},
        "zero cap": {"maxMembers": 0},
        "bad cover": {"coverImageUrl": "not a url"},
        "an id of our choosing": {"id": group["id"]},
    }
    for why, extra in refused.items():
        response = await server.request("POST", f"{V1}/groups", token=admin.access_token,
                                        json={"name": "x", **extra})
        assert response.status == 422, (why, response.body)
        assert response.headers["Content-Type"].startswith("application/problem+json")

    second = await _group(server, other, name="Bulawayo makers", category="hardware", tags=["iot"])
    listed = await server.request("GET", f"{V1}/groups?limit=1", token=admin.access_token)
    rest = await server.request("GET", f"{V1}/groups?limit=1&cursor={listed.body['nextCursor']}",
                                token=admin.access_token)
    assert [g["id"] for g in listed.body["items"] + rest.body["items"]][:2] == [second["id"], group["id"]]
    tagged = await server.request("GET", f"{V1}/groups?tag=iot&category=hardware", token=admin.access_token)
    assert [g["id"] for g in tagged.body["items"]] == [second["id"]]
    named = await server.request("GET", f"{V1}/groups?q=BULAWAYO", token=admin.access_token)
    assert [g["id"] for g in named.body["items"]] == [second["id"]]
    mine = await server.request("GET", f"{V1}/groups?mine=true", token=admin.access_token)
    assert [g["id"] for g in mine.body["items"]] == [group["id"]]


async def test_hidden_groups_are_not_found_by_outsiders_and_private_ones_keep_their_members(server):
    admin, outsider, invited = [await server.account() for _ in range(3)]
    hidden = await _group(server, admin, name="Stealth founders", visibility="hidden", membershipType="invite_only")
    private = await _group(server, admin, name="Angels", visibility="private")

    assert_problem(await _get(server, outsider, hidden), 404, "not_found")
    assert_problem(await _join(server, outsider, hidden), 404, "not_found")
    assert_problem(await server.request("GET", f"{V1}/groups/{hidden['id']}/members", token=outsider.access_token),
                   404, "not_found")
    listed = await server.request("GET", f"{V1}/groups?limit=100", token=outsider.access_token)
    assert hidden["id"] not in [g["id"] for g in listed.body["items"]]
    assert private["id"] in [g["id"] for g in listed.body["items"]]

    # The code is the way in, and the group shows itself to its members.
    assert_problem(await server.request("POST", f"{V1}/groups/join", token=invited.access_token,
                                        json={"inviteCode": "x" * 24}), 404, "not_found")
    joined = await server.request("POST", f"{V1}/groups/join", token=invited.access_token,
                                  json={"inviteCode": hidden["inviteCode"]})
    assert joined.status == 200 and joined.body["status"] == "active" and joined.body["groupId"] == hidden["id"]
    assert (await _get(server, invited, hidden)).body["memberCount"] == 2

    # A private group is listed, but its members are for its members.
    assert_problem(await server.request("GET", f"{V1}/groups/{private['id']}/members", token=outsider.access_token),
                   403, "forbidden")
    assert [m["userId"] for m in await _members(server, admin, private)] == [admin.id]


async def test_open_approval_and_invite_only_groups_and_rotating_codes(server):
    admin, moderator, member, asker, guest = [await server.account() for _ in range(5)]
    open_group = await _group(server, admin)
    joined = await _join(server, member, open_group)
    assert joined.status == 200 and joined.body["status"] == "active" and joined.body["role"] == "member"
    again = await _join(server, member, open_group)
    assert again.status == 200 and (await _get(server, admin, open_group)).body["memberCount"] == 2

    approval = await _group(server, admin, membershipType="approval_required")
    await _join(server, moderator, approval, inviteCode=approval["inviteCode"])  # a code skips approval
    assert (await _set_role(server, admin, approval, moderator, "moderator")).status == 200
    await _join(server, member, approval, inviteCode=approval["inviteCode"])
    asked = await _join(server, asker, approval)
    assert asked.body["status"] == "pending"
    assert (await _get(server, admin, approval)).body["memberCount"] == 3  # pending does not count
    assert_problem(await server.request("GET", f"{V1}/groups/{approval['id']}/members?status=pending",
                                        token=member.access_token), 403, "forbidden")
    assert [m["userId"] for m in await _members(server, moderator, approval, status="pending")] == [asker.id]
    assert_problem(await _act(server, member, approval, asker, "approve"), 403, "forbidden")
    approved = await _act(server, moderator, approval, asker, "approve")
    assert approved.status == 200 and approved.body["status"] == "active" and approved.body["invitedBy"] == moderator.id
    assert_problem(await _act(server, moderator, approval, asker, "approve"), 409, "conflict")
    assert (await _get(server, admin, approval)).body["memberCount"] == 4

    invite_only = await _group(server, admin, membershipType="invite_only")
    assert_problem(await _join(server, guest, invite_only), 403, "forbidden")
    assert_problem(await _join(server, guest, invite_only, inviteCode=open_group["inviteCode"]), 403, "forbidden")
    old_code = invite_only["inviteCode"]
    await _join(server, moderator, invite_only, inviteCode=old_code)
    await _set_role(server, admin, invite_only, moderator, "moderator")
    assert (await _get(server, moderator, invite_only)).body["inviteCode"] is None  # admins only
    assert_problem(await server.request("POST", f"{V1}/groups/{invite_only['id']}/invite-code",
                                        token=moderator.access_token), 403, "forbidden")
    rotated = await server.request("POST", f"{V1}/groups/{invite_only['id']}/invite-code", token=admin.access_token)
    assert rotated.status == 200 and rotated.body["inviteCode"] not in (None, old_code)
    assert_problem(await server.request("POST", f"{V1}/groups/join", token=guest.access_token,
                                        json={"inviteCode": old_code}), 404, "not_found")
    assert (await _join(server, guest, invite_only, inviteCode=rotated.body["inviteCode"])).body["status"] == "active"

    archived = await server.request("PATCH", f"{V1}/groups/{open_group['id']}", token=admin.access_token,
                                    json={"status": "archived"})
    assert archived.status == 200
    assert_problem(await _join(server, guest, open_group), 409, "conflict")


async def test_each_role_does_what_the_table_says(server):
    admin, moderator, member, other = [await server.account() for _ in range(4)]
    group = await _group(server, admin)
    for person in (moderator, member, other):
        await _join(server, person, group)
    assert (await _set_role(server, admin, group, moderator, "moderator")).body["role"] == "moderator"

    # Members post and read; settings, roles and codes are the admins'.
    for person in (member, moderator):
        assert_problem(await server.request("PATCH", f"{V1}/groups/{group['id']}", token=person.access_token,
                                            json={"name": "Mine now"}), 403, "forbidden")
        assert_problem(await _set_role(server, person, group, other, "moderator"), 403, "forbidden")
    assert_problem(await _act(server, member, group, other, "ban"), 403, "forbidden")
    # Moderators act on members only, never on their equals or admins.
    assert_problem(await _act(server, moderator, group, admin, "ban"), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"{V1}/groups/{group['id']}/members/{admin.id}",
                                        token=moderator.access_token), 403, "forbidden")
    removed = await server.request("DELETE", f"{V1}/groups/{group['id']}/members/{other.id}",
                                   token=moderator.access_token)
    assert removed.status == 204
    assert (await _get(server, admin, group)).body["memberCount"] == 3
    assert (await _join(server, other, group)).body["status"] == "active"  # removed, not banned

    changed = await server.request("PATCH", f"{V1}/groups/{group['id']}", token=admin.access_token,
                                   json={"name": "Renamed", "maxMembers": 10, "visibility": "private"})
    assert changed.status == 200 and changed.body["name"] == "Renamed" and changed.body["visibility"] == "private"
    assert_problem(await server.request("PATCH", f"{V1}/groups/{group['id']}", token=admin.access_token,
                                        json={"maxMembers": 3}), 409, "conflict")

    # The group always keeps an admin.
    assert_problem(await server.request("POST", f"{V1}/groups/{group['id']}/leave", token=admin.access_token),
                   409, "conflict")
    assert_problem(await _set_role(server, admin, group, admin, "member"), 409, "conflict")
    await _set_role(server, admin, group, moderator, "admin")
    assert (await server.request("POST", f"{V1}/groups/{group['id']}/leave", token=admin.access_token)).status == 204
    after = await _get(server, moderator, group)
    assert after.body["memberCount"] == 3 and after.body["myRole"] == "admin"
    assert_problem(await _set_role(server, moderator, group, admin, "member"), 409, "conflict")  # left: no role

    assert_problem(await server.request("DELETE", f"{V1}/groups/{group['id']}", token=member.access_token),
                   403, "forbidden")
    assert (await server.request("DELETE", f"{V1}/groups/{group['id']}", token=moderator.access_token)).status == 204
    assert_problem(await _get(server, moderator, group), 404, "not_found")
    assert_problem(await server.request("GET", f"{V1}/channels/{group['channelId']}", token=moderator.access_token),
                   404, "not_found")


async def test_banned_people_cannot_rejoin_and_left_ones_can(server):
    admin, member, stranger = [await server.account() for _ in range(3)]
    group = await _group(server, admin)
    await _join(server, member, group)
    banned = await _act(server, admin, group, member, "ban")
    assert banned.status == 200 and banned.body["status"] == "banned" and banned.body["leftAt"] is not None
    assert (await _get(server, admin, group)).body["memberCount"] == 1
    assert_problem(await _join(server, member, group), 403, "forbidden")
    assert_problem(await _join(server, member, group, inviteCode=group["inviteCode"]), 403, "forbidden")
    assert [m["userId"] for m in await _members(server, admin, group, status="banned")] == [member.id]
    # Anyone may be banned before they ever join.
    assert (await _act(server, admin, group, stranger, "ban")).body["status"] == "banned"
    assert_problem(await _join(server, stranger, group), 403, "forbidden")

    assert_problem(await _act(server, admin, group, admin, "unban"), 409, "conflict")
    assert (await _act(server, admin, group, member, "unban")).body["status"] == "left"
    assert (await _join(server, member, group)).body["status"] == "active"
    assert (await server.request("POST", f"{V1}/groups/{group['id']}/leave", token=member.access_token)).status == 204
    assert_problem(await server.request("POST", f"{V1}/groups/{group['id']}/leave", token=member.access_token),
                   404, "not_found")
    assert [m["userId"] for m in await _members(server, admin, group, status="left")] == [member.id]
    rejoined = await _join(server, member, group)
    assert rejoined.body["status"] == "active" and rejoined.body["leftAt"] is None
    assert (await _get(server, admin, group)).body["memberCount"] == 2


async def test_the_member_cap_holds_under_thirty_concurrent_joins(server):
    admin = await server.account()
    group = await _group(server, admin, maxMembers=5)
    people = [await server.account() for _ in range(30)]

    answers = await asyncio.gather(*(_join(server, person, group) for person in people))
    joined = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status != 200]
    assert len(joined) == 4 and len(refused) == 26  # the admin holds the fifth place
    for answer in refused:
        assert_problem(answer, 409, "conflict")
        assert answer.body["details"]["reason"] == "group_full" and "full" in answer.body["detail"]
    assert (await _get(server, admin, group)).body["memberCount"] == 5
    assert len(await _members(server, admin, group)) == 5

    # Approving into a full group is refused the same way; a freed place can be taken.
    await server.request("PATCH", f"{V1}/groups/{group['id']}", token=admin.access_token,
                         json={"membershipType": "approval_required"})
    late = people[-1] if people[-1].id not in [a.body["userId"] for a in joined] else people[0]
    assert (await _join(server, late, group)).body["status"] == "pending"
    full = await _act(server, admin, group, late, "approve")
    assert_problem(full, 409, "conflict")
    assert full.body["details"]["reason"] == "group_full"
    leaver = next(p for p in people if p.id == joined[0].body["userId"])
    await server.request("POST", f"{V1}/groups/{group['id']}/leave", token=leaver.access_token)
    assert (await _act(server, admin, group, late, "approve")).body["status"] == "active"
    assert (await _get(server, admin, group)).body["memberCount"] == 5


async def test_members_chat_in_the_group_channel_and_removed_ones_stop_hearing_it(server):
    admin, member, asker = [await server.account() for _ in range(3)]
    group = await _group(server, admin, membershipType="approval_required")
    admin_socket, member_socket, asker_socket = [await connect(server, a) for a in (admin, member, asker)]

    await _join(server, member, group, inviteCode=group["inviteCode"])
    joined = await admin_socket.wait_for("channel:member_joined", where=lambda d: d["userId"] == member.id)
    assert joined["channelId"] == group["channelId"]
    await _join(server, asker, group)  # pending: not in the chat yet

    first = await send(admin_socket, group["channelId"], "welcome to the group")
    heard = await member_socket.wait_for("message:new", where=lambda d: d["message"]["id"] == first["id"])
    assert heard["message"]["content"] == "welcome to the group"
    reply = await send(member_socket, group["channelId"], "glad to be here")
    await admin_socket.wait_for("message:new", where=lambda d: d["message"]["id"] == reply["id"])
    refused = await asker_socket.call("message:send", {"channelId": group["channelId"], "content": "let me in",
                                                       "nonce": nonce()})
    assert not refused["ok"]

    # A moderator of the group moderates its chat too.
    await _set_role(server, admin, group, member, "moderator")
    assert (await member_socket.call("message:delete", {"messageId": first["id"]}))["ok"]

    # Banned: out of the room at once, and no more sending.
    assert (await _act(server, admin, group, member, "ban")).status == 200
    await member_socket.wait_for("channel:member_left", where=lambda d: d["userId"] == member.id)
    after_ban = await send(admin_socket, group["channelId"], "after the ban")
    await _act(server, admin, group, asker, "approve")
    later = await send(admin_socket, group["channelId"], "hello new member")
    await asker_socket.wait_for("message:new", where=lambda d: d["message"]["id"] == later["id"])
    await asyncio.sleep(0.3)
    heard_ids = [d["message"]["id"] for name, d in member_socket.events if name == "message:new"]
    assert after_ban["id"] not in heard_ids and later["id"] not in heard_ids
    cannot = await member_socket.call("message:send", {"channelId": group["channelId"], "content": "still here?",
                                                       "nonce": nonce()})
    assert not cannot["ok"] and cannot["error"]["code"] == "not_found"
    history = await server.request("GET", f"{V1}/channels/{group['channelId']}/messages", token=member.access_token)
    assert_problem(history, 404, "not_found")

    # Removed by a moderator: out of the room as well.
    removed = await server.request("DELETE", f"{V1}/groups/{group['id']}/members/{asker.id}",
                                   token=admin.access_token)
    assert removed.status == 204
    await asker_socket.wait_for("channel:member_left", where=lambda d: d["userId"] == asker.id)
    after_removal = await send(admin_socket, group["channelId"], "after the removal")
    await asyncio.sleep(0.3)
    assert after_removal["id"] not in [d["message"]["id"] for name, d in asker_socket.events if name == "message:new"]
    gone = await asker_socket.call("message:send", {"channelId": group["channelId"], "content": "hello?",
                                                    "nonce": nonce()})
    assert not gone["ok"]


async def test_platform_admins_act_as_group_admins_but_never_leave_a_group_without_one(server):
    admin, member = await server.account(), await server.account()
    operator = await platform_admin(server)
    hidden = await _group(server, admin, visibility="hidden")
    assert (await _get(server, operator, hidden)).status == 200
    await _join(server, member, hidden, inviteCode=hidden["inviteCode"])
    assert (await _act(server, operator, hidden, member, "ban")).body["status"] == "banned"
    assert_problem(await _act(server, operator, hidden, admin, "ban"), 409, "conflict")
    renamed = await server.request("PATCH", f"{V1}/groups/{hidden['id']}", token=operator.access_token,
                                   json={"name": "Renamed by the platform"})
    assert renamed.status == 200 and renamed.body["name"] == "Renamed by the platform"
