"""CommunityOS billing: tiers managed by a community's owner and admins, a member cap that holds when many
pick at once, and Stripe's webhook against the real endpoint with signed bodies: good, bad, replayed, too
old, rotated secrets, idempotency, out-of-order deliveries and many deliveries at once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import uuid

import orjson
import pytest

from tests.http.test_auth import assert_problem
from tests.support.roles import owner_sql

V1 = "/api/v1"
WEBHOOK = f"{V1}/webhooks/stripe"
SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"


def _signature(body: bytes, *secrets: str, at: int | None = None) -> str:
    """Stripe's scheme, written out here rather than borrowed from the server."""
    t = int(time.time()) if at is None else at
    v1 = [hmac.new(s.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest() for s in secrets]
    return ",".join([f"t={t}", *(f"v1={v}" for v in v1)])


async def _deliver(server, event: dict, *secrets: str, at: int | None = None, header: str | None = None):
    body = orjson.dumps(event)
    signature = header if header is not None else _signature(body, *(secrets or (SECRET,)), at=at)
    return await server.request("POST", WEBHOOK, data=body,
                                headers={"Stripe-Signature": signature, "Content-Type": "application/json"})


def _event(kind: str, obj: dict, *, created: int | None = None) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": kind,
            "created": int(time.time()) if created is None else created, "data": {"object": obj}}


def _subscription(shop: dict, status: str = "active", *, sub_id: str = "sub_1", period_end: int = 1_900_000_000):
    return {"id": sub_id, "object": "subscription", "customer": "cus_1", "status": status,
            "current_period_start": 1_800_000_000, "current_period_end": period_end,
            "metadata": {"community_id": shop["community"], "member_id": shop["member_id"], "tier_id": shop["tier"]}}


def _invoice(shop: dict, invoice_id: str, cents: int) -> dict:
    return {"id": invoice_id, "object": "invoice", "currency": "usd", "amount_paid": cents, "amount_due": cents,
            "subscription": "sub_1", "metadata": {"community_id": shop["community"], "member_id": shop["member_id"]}}


async def _standing(server, shop) -> dict:
    mine = await server.request("GET", f"{V1}/communities/{shop['community']}/my-subscription",
                                token=shop["member"].access_token)
    assert mine.status == 200, mine.body
    return mine.body


@pytest.fixture
async def shop(server):
    """A community with one tier, and a member of it."""
    owner, member = await server.account(), await server.account()
    community = await server.request("POST", f"{V1}/communities", token=owner.access_token, json={"name": "Shop"})
    cid = community.body["id"]
    tier = await server.request("POST", f"{V1}/communities/{cid}/tiers", token=owner.access_token,
                                json={"name": "Gold", "price": "10.00", "interval": "monthly"})
    assert (await server.request("POST", f"{V1}/communities/{cid}/join", token=member.access_token)).status == 201
    member_id = (await owner_sql(server, "SELECT id FROM community_members WHERE community_id = $1 AND user_id = $2",
                                 uuid.UUID(cid), uuid.UUID(member.id)))[0]["id"]
    return {"owner": owner, "member": member, "community": cid, "tier": tier.body["id"], "member_id": str(member_id)}


# Tiers

async def test_owners_and_admins_manage_tiers_and_everyone_who_sees_the_community_reads_them(server, shop):
    cid, owner, member = shop["community"], shop["owner"], shop["member"]
    tiers = f"{V1}/communities/{cid}/tiers"
    silver = await server.request("POST", tiers, token=owner.access_token, json={
        "name": "Silver", "price": "4.50", "currency": "EUR", "interval": "yearly", "features": ["badge", "chat"],
        "discordRoleId": "123456789012345678", "maxMembers": 10, "sortOrder": -1})
    assert silver.status == 201, silver.body
    assert silver.body | {"id": None, "createdAt": None, "updatedAt": None} == {
        "id": None, "communityId": cid, "name": "Silver", "description": None, "price": "4.50", "currency": "EUR",
        "interval": "yearly", "stripePriceId": None, "features": ["badge", "chat"],
        "discordRoleId": "123456789012345678", "maxMembers": 10, "memberCount": 0, "isActive": True,
        "sortOrder": -1, "createdAt": None, "updatedAt": None}
    assert_problem(await server.request("POST", tiers, token=owner.access_token,
                                        json={"name": "Silver", "price": "1.00", "interval": "monthly"}), 409, "conflict")
    assert_problem(await server.request("POST", tiers, token=member.access_token,
                                        json={"name": "Mine", "price": "1.00", "interval": "monthly"}), 403, "forbidden")
    listed = await server.request("GET", tiers, token=(await server.account()).access_token)
    assert [tier["name"] for tier in listed.body["items"]] == ["Silver", "Gold"]  # by sortOrder
    path = f"{tiers}/{silver.body['id']}"
    assert_problem(await server.request("PATCH", path, token=member.access_token, json={"price": "0.00"}), 403,
                   "forbidden")
    changed = await server.request("PATCH", path, token=owner.access_token, json={"price": "5.00", "isActive": False})
    assert changed.body["price"] == "5.00" and changed.body["isActive"] is False
    assert (await server.request("GET", f"{tiers}?active=true", token=member.access_token)).body["items"][0]["name"] \
        == "Gold"
    assert (await server.request("DELETE", path, token=owner.access_token)).status == 204
    assert_problem(await server.request("GET", path, token=owner.access_token), 404, "not_found")


async def test_a_tier_member_cap_holds_when_many_members_pick_it_at_once(server, shop):
    cid, owner = shop["community"], shop["owner"]
    capped = await server.request("POST", f"{V1}/communities/{cid}/tiers", token=owner.access_token,
                                  json={"name": "Founders", "price": "99.00", "interval": "yearly", "maxMembers": 3})
    members = [await server.account() for _ in range(8)]
    for account in members:
        await server.request("POST", f"{V1}/communities/{cid}/join", token=account.access_token)
    picks = await asyncio.gather(*(server.request("PUT", f"{V1}/communities/{cid}/my-subscription",
                                                  token=account.access_token, json={"tierId": capped.body["id"]})
                                   for account in members))
    assert sorted(p.status for p in picks) == [200] * 3 + [409] * 5
    tier = await server.request("GET", f"{V1}/communities/{cid}/tiers/{capped.body['id']}", token=owner.access_token)
    assert tier.body["memberCount"] == 3
    # Leaving makes room.
    winner = members[[p.status for p in picks].index(200)]
    left = await server.request("PUT", f"{V1}/communities/{cid}/my-subscription", token=winner.access_token,
                                json={"tierId": None})
    assert left.body["tierId"] is None
    loser = members[[p.status for p in picks].index(409)]
    took = await server.request("PUT", f"{V1}/communities/{cid}/my-subscription", token=loser.access_token,
                                json={"tierId": capped.body["id"]})
    assert took.status == 200 and took.body["tierName"] == "Founders"
    stranger = await server.account()
    assert_problem(await server.request("PUT", f"{V1}/communities/{cid}/my-subscription", token=stranger.access_token,
                                        json={"tierId": capped.body["id"]}), 403, "forbidden")


# The webhook

async def test_the_webhook_answers_unavailable_until_a_secret_is_set(server, shop):
    answer = await _deliver(server, _event("customer.subscription.created", _subscription(shop)))
    assert_problem(answer, 503, "unavailable")
    assert await owner_sql(server, "SELECT 1 FROM stripe_webhook_events") == []


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_a_signed_subscription_event_updates_the_member_and_a_bad_one_nothing(server, shop):
    event = _event("customer.subscription.created", _subscription(shop, "active"))
    forged = await _deliver(server, event, "whsec_someone_else")
    assert_problem(forged, 400, "bad_signature")
    assert_problem(await _deliver(server, event, header="t=1,v1=00"), 400, "bad_signature")
    assert_problem(await _deliver(server, event, header=""), 400, "bad_signature")
    tampered_body = orjson.dumps(event)
    header = _signature(tampered_body, SECRET)
    tampered = await server.request("POST", WEBHOOK, data=tampered_body.replace(b"active", b"paused"),
                                    headers={"Stripe-Signature": header})
    assert_problem(tampered, 400, "bad_signature")
    assert (await _standing(server, shop))["subscriptionStatus"] == "none"
    assert await owner_sql(server, "SELECT 1 FROM stripe_webhook_events") == []

    good = await _deliver(server, event)
    assert good.status == 200 and good.body == {"received": True, "outcome": "applied"}
    standing = await _standing(server, shop)
    assert standing["subscriptionStatus"] == "active" and standing["tierId"] == shop["tier"]
    assert standing["tierName"] == "Gold" and standing["subscriptionExpiresAt"].startswith("2030-03-17")
    replayed = await _deliver(server, event)
    assert replayed.status == 200 and replayed.body["outcome"] == "duplicate"
    subs = await server.request("GET", f"{V1}/communities/{shop['community']}/subscriptions",
                                token=shop["owner"].access_token)
    assert [(s["stripeSubscriptionId"], s["status"]) for s in subs.body["items"]] == [("sub_1", "active")]
    assert_problem(await server.request("GET", f"{V1}/communities/{shop['community']}/subscriptions",
                                        token=shop["member"].access_token), 403, "forbidden")


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_a_signature_older_than_five_minutes_is_refused(server, shop):
    event = _event("customer.subscription.created", _subscription(shop))
    assert_problem(await _deliver(server, event, at=int(time.time()) - 301), 400, "bad_signature")
    assert_problem(await _deliver(server, event, at=int(time.time()) + 301), 400, "bad_signature")
    assert (await _deliver(server, event, at=int(time.time()) - 290)).status == 200


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=f"{SECRET},{OLD_SECRET}")
async def test_with_two_webhook_secrets_during_rotation_either_signs_and_several_v1_are_tried(server, shop):
    by_old = await _deliver(server, _event("customer.subscription.created", _subscription(shop)), OLD_SECRET)
    assert by_old.status == 200, by_old.body
    both = await _deliver(server, _event("customer.subscription.updated", _subscription(shop, "past_due")),
                          "whsec_wrong", SECRET)
    assert both.status == 200 and both.body["outcome"] == "applied"
    assert (await _standing(server, shop))["subscriptionStatus"] == "past_due"
    assert_problem(await _deliver(server, _event("invoice.paid", _invoice(shop, "in_x", 100)), "whsec_wrong"),
                   400, "bad_signature")


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_an_older_update_after_a_newer_one_changes_nothing(server, shop):
    now = int(time.time())
    await _deliver(server, _event("customer.subscription.created", _subscription(shop, "active"), created=now - 100))
    newer = await _deliver(server, _event("customer.subscription.updated", _subscription(
        shop, "past_due", period_end=1_950_000_000), created=now - 10))
    assert newer.body["outcome"] == "applied"
    older = await _deliver(server, _event("customer.subscription.updated", _subscription(
        shop, "active", period_end=1_900_000_000), created=now - 50))
    assert older.status == 200 and older.body["outcome"] == "stale"
    standing = await _standing(server, shop)
    assert standing["subscriptionStatus"] == "past_due" and standing["subscriptionExpiresAt"].startswith("2031")
    deleted = await _deliver(server, _event("customer.subscription.deleted", _subscription(shop, "canceled"),
                                            created=now))
    assert deleted.body["outcome"] == "applied"
    late = await _deliver(server, _event("customer.subscription.updated", _subscription(shop, "active"),
                                         created=now))  # same second, after the deletion: canceled is final
    assert late.body["outcome"] == "stale"
    assert (await _standing(server, shop))["subscriptionStatus"] == "canceled"


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_paid_invoices_add_up_once_and_a_late_failure_keeps_them_paid(server, shop):
    await _deliver(server, _event("customer.subscription.created", _subscription(shop)))
    failed = await _deliver(server, _event("invoice.payment_failed", _invoice(shop, "in_1", 1000)))
    assert failed.body["outcome"] == "applied"
    assert (await _standing(server, shop))["totalSpent"] == "0.00"
    assert (await _deliver(server, _event("invoice.paid", _invoice(shop, "in_1", 1000)))).body["outcome"] == "applied"
    again = await _deliver(server, _event("invoice.paid", _invoice(shop, "in_1", 1000)))  # another event, same invoice
    assert again.body["outcome"] == "stale"
    late_failure = await _deliver(server, _event("invoice.payment_failed", _invoice(shop, "in_1", 1000)))
    assert late_failure.body["outcome"] == "stale"
    await _deliver(server, _event("invoice.paid", _invoice(shop, "in_2", 1999)))
    assert (await _standing(server, shop))["totalSpent"] == "29.99"
    payments = await server.request("GET", f"{V1}/communities/{shop['community']}/payments",
                                    token=shop["owner"].access_token)
    assert sorted((p["stripeInvoiceId"], p["status"], p["amount"], p["currency"]) for p in payments.body["items"]) \
        == [("in_1", "succeeded", "10.00", "USD"), ("in_2", "succeeded", "19.99", "USD")]
    assert all(p["subscriptionId"] for p in payments.body["items"])


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_unknown_communities_members_and_types_are_recorded_as_ignored(server, shop):
    unknown_community = _invoice(shop, "in_9", 500) | {"metadata": {"community_id": str(uuid.uuid4()),
                                                                     "member_id": shop["member_id"]}}
    other = await server.account()
    other_community = await server.request("POST", f"{V1}/communities", token=other.access_token,
                                           json={"name": "Elsewhere"})
    foreign_member = _invoice(shop, "in_8", 500) | {"metadata": {"community_id": other_community.body["id"],
                                                                  "member_id": shop["member_id"]}}
    no_metadata = {"id": "in_7", "currency": "usd", "amount_paid": 5}
    events = [_event("invoice.paid", unknown_community), _event("invoice.paid", foreign_member),
              _event("invoice.paid", no_metadata), _event("charge.refunded", {"id": "ch_1"}),
              _event("invoice.paid", "not an object")]  # type: ignore[arg-type]
    for event in events:
        answer = await _deliver(server, event)
        assert answer.status == 200 and answer.body["outcome"] == "ignored", answer.body
    recorded = await owner_sql(server, "SELECT outcome, reason FROM stripe_webhook_events")
    assert len(recorded) == len(events) and {row["outcome"] for row in recorded} == {"ignored"}
    assert all(row["reason"] for row in recorded)
    assert await owner_sql(server, "SELECT 1 FROM payments") == []
    assert (await _standing(server, shop))["totalSpent"] == "0.00"


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_many_deliveries_at_once_each_count_exactly_once(server, shop):
    events = [_event("invoice.paid", _invoice(shop, f"in_{n}", 100 + n)) for n in range(15)]
    answers = await asyncio.gather(*(_deliver(server, event) for event in events + events + events))
    assert {a.status for a in answers} == {200}
    outcomes = [a.body["outcome"] for a in answers]
    assert outcomes.count("applied") == 15 and outcomes.count("duplicate") == 30
    expected = sum(100 + n for n in range(15)) / 100
    assert (await _standing(server, shop))["totalSpent"] == f"{expected:.2f}"
    assert len(await owner_sql(server, "SELECT 1 FROM payments")) == 15


@pytest.mark.settings(STRIPE_WEBHOOK_SECRET=SECRET)
async def test_with_a_webhook_secret_an_event_cannot_move_another_communitys_subscription(server, shop):
    assert (await _deliver(server, _event("customer.subscription.created", _subscription(shop)))).status == 200
    owner = await server.account()
    elsewhere = await server.request("POST", f"{V1}/communities", token=owner.access_token, json={"name": "Rival"})
    rival_member = (await owner_sql(server, "SELECT id FROM community_members WHERE community_id = $1",
                                    uuid.UUID(elsewhere.body["id"])))[0]["id"]
    hijack = _subscription(shop, "canceled") | {"metadata": {"community_id": elsewhere.body["id"],
                                                             "member_id": str(rival_member)}}
    answer = await _deliver(server, _event("customer.subscription.updated", hijack))
    assert answer.status == 200 and answer.body["outcome"] == "ignored"
    reason = await owner_sql(server, "SELECT reason FROM stripe_webhook_events WHERE outcome = 'ignored'")
    assert reason[0]["reason"] == "the Stripe object belongs to another community"
    rows = await owner_sql(server, "SELECT community_id, status FROM subscriptions")
    assert [(str(r["community_id"]), r["status"]) for r in rows] == [(shop["community"], "active")]
    unknown_tier = _subscription(shop, sub_id="sub_2") | {"metadata": {
        "community_id": shop["community"], "member_id": shop["member_id"], "tier_id": str(uuid.uuid4())}}
    assert (await _deliver(server, _event("customer.subscription.created", unknown_tier))).body["outcome"] == "ignored"
