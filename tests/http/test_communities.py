"""Communities: roles member/moderator/admin/owner, private communities, posts inside them."""

from __future__ import annotations

from tests.http.test_auth import assert_problem
from tests.support.roles import admin

V1 = "/api/v1"


async def _community(server, owner, **extra):
    created = await server.request("POST", f"{V1}/communities", token=owner.access_token,
                                   json={"name": "Growers", **extra})
    assert created.status == 201, created.body
    return created.body


async def _join(server, account, community_id):
    return await server.request("POST", f"{V1}/communities/{community_id}/join", token=account.access_token)


async def _set(server, actor, community_id, user_id, **change):
    return await server.request("PATCH", f"{V1}/communities/{community_id}/members/{user_id}",
                                token=actor.access_token, json=change)


async def test_the_creator_owns_a_community_and_members_join_public_ones(server):
    owner, member = await server.account(), await server.account()
    community = await _community(server, owner, slug="growers")
    assert community["myRole"] == "owner" and community["memberCount"] == 1
    joined = await _join(server, member, community["id"])
    assert joined.status == 201 and joined.body["status"] == "active" and joined.body["role"] == "member"
    assert_problem(await _join(server, member, community["id"]), 409, "conflict")
    seen = await server.request("GET", f"{V1}/communities/{community['id']}", token=member.access_token)
    assert seen.body["myRole"] == "member" and seen.body["memberCount"] == 2
    mine = await server.request("GET", f"{V1}/communities?mine=true", token=member.access_token)
    assert [c["id"] for c in mine.body["items"]] == [community["id"]]
    assert_problem(await server.request("POST", f"{V1}/communities", token=member.access_token,
                                        json={"name": "Other", "slug": "growers"}), 409, "conflict")


async def test_private_communities_are_hidden_and_joining_waits_for_approval(server):
    owner, stranger, moderator = await server.account(), await server.account(), await server.account()
    community = await _community(server, owner, isPrivate=True)
    cid = community["id"]
    assert (await server.request("GET", f"{V1}/communities", token=stranger.access_token)).body["items"] == []
    assert_problem(await server.request("GET", f"{V1}/communities/{cid}", token=stranger.access_token), 404,
                   "not_found")
    posts = await server.request("GET", f"{V1}/community-posts?communityId={cid}", token=stranger.access_token)
    assert posts.body["items"] == []

    # The moderator joins first so that the owner can promote them.
    await _join(server, moderator, cid)
    assert (await _set(server, owner, cid, moderator.id, status="active")).status == 200
    assert (await _set(server, owner, cid, moderator.id, role="moderator")).body["role"] == "moderator"

    request = await _join(server, stranger, cid)
    assert request.body["status"] == "pending"
    pending_view = await server.request("GET", f"{V1}/communities/{cid}", token=stranger.access_token)
    assert pending_view.body["myStatus"] == "pending" and pending_view.body["myRole"] is None
    assert_problem(await server.request("POST", f"{V1}/community-posts", token=stranger.access_token,
                                        json={"communityId": cid, "content": "hello"}), 403, "forbidden")
    waiting = await server.request("GET", f"{V1}/communities/{cid}/members?status=pending",
                                   token=moderator.access_token)
    assert [m["userId"] for m in waiting.body["items"]] == [stranger.id]
    assert_problem(await server.request("GET", f"{V1}/communities/{cid}/members?status=pending",
                                        token=stranger.access_token), 403, "forbidden")
    approved = await _set(server, moderator, cid, stranger.id, status="active")
    assert approved.status == 200 and approved.body["status"] == "active"
    posted = await server.request("POST", f"{V1}/community-posts", token=stranger.access_token,
                                  json={"communityId": cid, "content": "hello", "type": "event"})
    assert posted.status == 201 and posted.body["userId"] == stranger.id


async def test_role_changes_follow_the_ranks(server):
    owner, admin_member, moderator, member = [await server.account() for _ in range(4)]
    cid = (await _community(server, owner))["id"]
    for account in (admin_member, moderator, member):
        await _join(server, account, cid)
    assert (await _set(server, owner, cid, admin_member.id, role="admin")).status == 200
    assert (await _set(server, admin_member, cid, moderator.id, role="moderator")).status == 200
    # An admin cannot make admins; a moderator cannot set roles; nobody acts on those above.
    assert_problem(await _set(server, admin_member, cid, member.id, role="admin"), 403, "forbidden")
    assert_problem(await _set(server, moderator, cid, member.id, role="moderator"), 403, "forbidden")
    assert_problem(await _set(server, moderator, cid, admin_member.id, role="member"), 403, "forbidden")
    assert_problem(await _set(server, member, cid, member.id, role="owner"), 403, "forbidden")
    assert_problem(await _set(server, admin_member, cid, owner.id, role="member"), 403, "forbidden")
    # The owner may act on themselves, but the owner's role changes only by handing over.
    assert_problem(await _set(server, owner, cid, owner.id, role="member"), 409, "conflict")
    # Moderators remove members below them, not above.
    assert_problem(await server.request("DELETE", f"{V1}/communities/{cid}/members/{admin_member.id}",
                                        token=moderator.access_token), 403, "forbidden")
    assert (await server.request("DELETE", f"{V1}/communities/{cid}/members/{member.id}",
                                 token=moderator.access_token)).status == 204
    # The owner hands over and becomes an admin; there is still exactly one owner.
    handed = await _set(server, owner, cid, admin_member.id, role="owner")
    assert handed.body["role"] == "owner"
    members = await server.request("GET", f"{V1}/communities/{cid}/members", token=owner.access_token)
    roles = {m["userId"]: m["role"] for m in members.body["items"]}
    assert roles == {owner.id: "admin", admin_member.id: "owner", moderator.id: "moderator"}
    assert_problem(await server.request("POST", f"{V1}/communities/{cid}/leave", token=admin_member.access_token),
                   409, "conflict")
    assert (await server.request("POST", f"{V1}/communities/{cid}/leave", token=owner.access_token)).status == 204


async def test_strangers_touching_the_owner_get_403_or_404_not_the_owner_rules(server):
    owner, stranger, member = await server.account(), await server.account(), await server.account()
    public = (await _community(server, owner))["id"]
    private = (await _community(server, owner, name="Hidden", isPrivate=True))["id"]
    await _join(server, member, public)
    for actor in (stranger, member):  # a non-member, and a member without rank
        for change in ({"role": "member"}, {"role": "owner"}, {}):
            assert_problem(await _set(server, actor, public, owner.id, **change), 403, "forbidden")
        assert_problem(await server.request("DELETE", f"{V1}/communities/{public}/members/{owner.id}",
                                            token=actor.access_token), 403, "forbidden")
    # A private community does not exist for strangers.
    assert_problem(await _set(server, stranger, private, owner.id, role="member"), 404, "not_found")
    assert_problem(await server.request("DELETE", f"{V1}/communities/{private}/members/{owner.id}",
                                        token=stranger.access_token), 404, "not_found")


async def test_community_changes_need_admin_or_owner(server):
    owner, member = await server.account(), await server.account()
    boss = await admin(server)
    cid = (await _community(server, owner))["id"]
    await _join(server, member, cid)
    assert_problem(await server.request("PATCH", f"{V1}/communities/{cid}", token=member.access_token,
                                        json={"name": "Mine"}), 403, "forbidden")
    assert_problem(await server.request("PATCH", f"{V1}/communities/{cid}", token=owner.access_token,
                                        json={"name": None}), 422, "invalid")
    renamed = await server.request("PATCH", f"{V1}/communities/{cid}", token=owner.access_token,
                                   json={"name": "Growers united", "description": "We grow"})
    assert renamed.body["name"] == "Growers united"
    assert_problem(await server.request("DELETE", f"{V1}/communities/{cid}", token=member.access_token), 403,
                   "forbidden")
    assert (await server.request("DELETE", f"{V1}/communities/{cid}", token=boss.access_token)).status == 204


async def test_posts_are_edited_by_their_author_and_deleted_by_moderators(server):
    owner, author, other = await server.account(), await server.account(), await server.account()
    cid = (await _community(server, owner))["id"]
    for account in (author, other):
        await _join(server, account, cid)
    post = (await server.request("POST", f"{V1}/community-posts", token=author.access_token,
                                 json={"communityId": cid, "content": "first"})).body
    assert post["type"] == "update"
    assert_problem(await server.request("PATCH", f"{V1}/community-posts/{post['id']}", token=other.access_token,
                                        json={"content": "defaced"}), 403, "forbidden")
    assert_problem(await server.request("DELETE", f"{V1}/community-posts/{post['id']}", token=other.access_token),
                   403, "forbidden")
    edited = await server.request("PATCH", f"{V1}/community-posts/{post['id']}", token=author.access_token,
                                  json={"content": "first, edited"})
    assert edited.body["content"] == "first, edited"
    listed = await server.request("GET", f"{V1}/community-posts?communityId={cid}", token=other.access_token)
    assert [p["id"] for p in listed.body["items"]] == [post["id"]]
    assert (await server.request("DELETE", f"{V1}/community-posts/{post['id']}",
                                 token=owner.access_token)).status == 204
