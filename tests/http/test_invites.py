"""Invite links (single use, expiring, recorded as invite source) and 3-referral verification."""

from __future__ import annotations

import asyncio
import uuid

from tests.http.test_auth import assert_problem
from tests.support.roles import sql

V1 = "/api/v1"


async def _profile(server, account):
    return (await server.request("GET", f"{V1}/user-profiles/{account.id}", token=account.access_token)).body


async def _redeem(server, account, code):
    return await server.request("POST", f"{V1}/invite-links/redeem", token=account.access_token, json={"code": code})


async def test_an_invite_link_is_used_once_and_recorded_on_the_profile(server):
    inviter, newcomer, latecomer = await server.account(), await server.account(), await server.account()
    link = await server.request("POST", f"{V1}/invite-links", token=inviter.access_token, json={})
    assert link.status == 201 and not link.body["isUsed"]
    code = link.body["code"]
    assert (await _redeem(server, newcomer, code)).status == 200
    assert (await _profile(server, newcomer))["inviteSourceId"] == inviter.id
    used = await _redeem(server, latecomer, code)
    assert_problem(used, 409, "conflict")
    assert (await _profile(server, latecomer))["inviteSourceId"] is None
    seen = await server.request("GET", f"{V1}/invite-links/{link.body['id']}", token=inviter.access_token)
    assert seen.body["isUsed"] and seen.body["usedBy"] == newcomer.id
    # The link is the inviter's business only.
    assert (await server.request("GET", f"{V1}/invite-links", token=newcomer.access_token)).body["items"] == []


async def test_expired_unknown_and_own_links_are_refused(server):
    inviter, newcomer = await server.account(), await server.account()
    link = (await server.request("POST", f"{V1}/invite-links", token=inviter.access_token,
                                 json={"expiresIn": 60})).body
    assert_problem(await _redeem(server, inviter, link["code"]), 422, "invalid")
    await sql(server, "UPDATE invite_links SET created_at = now() - interval '2 hours',"
                      " expires_at = now() - interval '1 hour' WHERE id = $1", uuid.UUID(link["id"]))
    expired = await _redeem(server, newcomer, link["code"])
    assert_problem(expired, 422, "invalid")
    assert expired.body["details"]["reason"] == "expired"
    assert_problem(await _redeem(server, newcomer, str(uuid.uuid4())), 404, "not_found")
    assert_problem(await server.request("POST", f"{V1}/invite-links", token=inviter.access_token,
                                        json={"expiresIn": 5}), 422, "invalid")


async def test_a_second_invite_does_not_replace_the_first_source(server):
    first, second, newcomer = await server.account(), await server.account(), await server.account()
    code_one = (await server.request("POST", f"{V1}/invite-links", token=first.access_token, json={})).body["code"]
    code_two = (await server.request("POST", f"{V1}/invite-links", token=second.access_token, json={})).body["code"]
    assert (await _redeem(server, newcomer, code_one)).status == 200
    assert_problem(await _redeem(server, newcomer, code_two), 409, "conflict")
    assert (await _profile(server, newcomer))["inviteSourceId"] == first.id


async def _refer(server, sender, recipient):
    response = await server.request("POST", f"{V1}/referrals", token=sender.access_token,
                                    json={"recipientEmail": recipient.email.upper()})
    assert response.status == 201, response.body
    return response.body


async def test_three_accepted_referrals_make_the_sender_verified(server):
    sender = await server.account()
    friends = [await server.account() for _ in range(4)]
    referrals = [await _refer(server, sender, friend) for friend in friends]
    assert_problem(await server.request("POST", f"{V1}/referrals", token=sender.access_token,
                                        json={"recipientEmail": friends[0].email}), 409, "conflict")
    assert_problem(await server.request("POST", f"{V1}/referrals", token=sender.access_token,
                                        json={"recipientEmail": sender.email}), 422, "invalid")
    # The recipient sees it; a stranger does not and cannot answer it.
    received = await server.request("GET", f"{V1}/referrals", token=friends[0].access_token)
    assert [r["id"] for r in received.body["items"]] == [referrals[0]["id"]]
    assert_problem(await server.request("POST", f"{V1}/referrals/{referrals[0]['id']}/accept",
                                        token=friends[1].access_token), 404, "not_found")
    assert_problem(await server.request("POST", f"{V1}/referrals/{referrals[0]['id']}/accept",
                                        token=sender.access_token), 403, "forbidden")

    declined = await server.request("POST", f"{V1}/referrals/{referrals[3]['id']}/decline",
                                    token=friends[3].access_token)
    assert declined.body["status"] == "declined"
    for referral, friend in list(zip(referrals, friends, strict=True))[:2]:
        accepted = await server.request("POST", f"{V1}/referrals/{referral['id']}/accept", token=friend.access_token)
        assert accepted.body["status"] == "accepted" and accepted.body["recipientUserId"] == friend.id
    assert (await _profile(server, sender))["isVerified"] is False
    assert_problem(await server.request("POST", f"{V1}/referrals/{referrals[0]['id']}/accept",
                                        token=friends[0].access_token), 409, "conflict")
    await server.request("POST", f"{V1}/referrals/{referrals[2]['id']}/accept", token=friends[2].access_token)
    assert (await _profile(server, sender))["isVerified"] is True


async def test_concurrent_acceptances_are_counted_exactly(server):
    sender = await server.account()
    friends = [await server.account() for _ in range(3)]
    referrals = [await _refer(server, sender, friend) for friend in friends]
    results = await asyncio.gather(*(
        server.request("POST", f"{V1}/referrals/{referral['id']}/accept", token=friend.access_token)
        for referral, friend in zip(referrals, friends, strict=True)))
    assert [r.status for r in results] == [200, 200, 200]
    assert (await _profile(server, sender))["isVerified"] is True
