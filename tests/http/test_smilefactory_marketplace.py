"""SmileFactory marketplace: listings only their seller changes, views counted exactly, the expiry
task, and transactions that only move forward, each step by the party allowed it, with one sale
per listing also when many buyers complete or start at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from chatserver import periodic
from chatserver.actions import marketplace
from chatserver.http.api import SERVICES
from tests.http.test_auth import assert_problem
from tests.support.chat import connect
from tests.support.roles import sql

V1 = "/api/v1"
LISTINGS = f"{V1}/marketplace-listings"
TRANSACTIONS = f"{V1}/marketplace-transactions"


def _at(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def _listing(server, seller, **extra) -> dict:
    body = {"title": "3D printer", "description": "Prusa MK4, barely used", "category": "hardware",
            "listingType": "product", "price": "450.00", **extra}
    created = await server.request("POST", LISTINGS, token=seller.access_token, json=body)
    assert created.status == 201, created.body
    return created.body


async def _initiate(server, buyer, listing, **body):
    return await server.request("POST", f"{LISTINGS}/{listing['id']}/transactions", token=buyer.access_token,
                                json=body)


async def _deal(server, buyer, listing, **body) -> dict:
    started = await _initiate(server, buyer, listing, **body)
    assert started.status == 201, started.body
    return started.body


async def _step(server, account, deal, name, **body):
    return await server.request("POST", f"{TRANSACTIONS}/{deal['id']}/{name}", token=account.access_token,
                                json=body if name == "negotiate" else None)


def _conflict(response, reason: str) -> None:
    assert_problem(response, 409, "conflict")
    assert response.body["details"]["reason"] == reason, response.body


async def _expire(server, listing) -> None:
    await sql(server, "UPDATE marketplace_listings SET expires_at = now() - interval '1 minute' WHERE id = $1",
              listing["id"])


async def test_a_listing_is_made_and_changed_only_by_its_seller(server):
    seller, other = await server.account(), await server.account()
    listing = await _listing(server, seller, price="1200.5", currency="ZWL", negotiable=True, tags=["3d", "maker"],
                             images=["https://img.example.com/1.jpg"], location="Harare")
    assert listing["price"] == "1200.50" and listing["currency"] == "ZWL" and listing["status"] == "active"
    assert listing["sellerId"] == seller.id and listing["isMine"] and listing["viewCount"] == 0
    expires = datetime.fromisoformat(listing["expiresAt"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)

    base = {"title": "x", "description": "y", "category": "z", "listingType": "product"}
    for bad in ({"price": "-1"}, {"price": -1}, {"price": "1.005"}, {"price": "12345678901"}, {"currency": "usd"},
                {"listingType": "car"}, {"expiresAt": _at(minutes=-1)}, {"expiresAt": _at(days=400)},
                {"title": ""}, {"images": ["not a url"]}):
        assert_problem(await server.request("POST", LISTINGS, token=seller.access_token, json=base | bad),
                       422, "invalid")
    free = await _listing(server, seller, listingType="partnership", price=None, expiresAt=_at(days=3))
    assert free["price"] is None

    path = f"{LISTINGS}/{listing['id']}"
    assert_problem(await server.request("PATCH", path, token=other.access_token, json={"title": "mine now"}),
                   403, "forbidden")
    assert_problem(await server.request("DELETE", path, token=other.access_token), 403, "forbidden")
    assert_problem(await server.request("PATCH", path, token=seller.access_token, json={"price": "-5"}),
                   422, "invalid")
    changed = await server.request("PATCH", path, token=seller.access_token, json={"price": "999", "title": "MK4"})
    assert changed.status == 200 and changed.body["price"] == "999.00" and changed.body["title"] == "MK4"
    assert changed.body["description"] == listing["description"]

    assert (await server.request("DELETE", path, token=seller.access_token)).status == 204
    assert (await server.request("DELETE", path, token=seller.access_token)).status == 204  # again: no change
    assert_problem(await server.request("GET", path, token=other.access_token), 404, "not_found")
    assert_problem(await server.request("PATCH", path, token=other.access_token, json={"title": "t"}),
                   404, "not_found")
    mine = await server.request("GET", path, token=seller.access_token)
    assert mine.body["status"] == "removed"
    _conflict(await server.request("PATCH", path, token=seller.access_token, json={"title": "back"}),
              "listing_removed")
    assert_problem(await _initiate(server, other, listing), 404, "not_found")
    assert_problem(await server.request("GET", f"{LISTINGS}/00000000-0000-0000-0000-000000000000",
                                        token=other.access_token), 404, "not_found")


async def test_views_by_others_are_counted_exactly_under_concurrency(server):
    seller = await server.account()
    viewers = [await server.account() for _ in range(3)]
    listing = await _listing(server, seller)
    path = f"{LISTINGS}/{listing['id']}"
    assert (await server.request("GET", path, token=seller.access_token)).body["viewCount"] == 0
    views = await asyncio.gather(*(server.request("GET", path, token=viewers[i % 3].access_token)
                                   for i in range(30)))
    # Each view is counted once, and each answer includes its own: 1 to 30, each once.
    assert sorted(view.body["viewCount"] for view in views) == list(range(1, 31))
    assert (await server.request("GET", path, token=seller.access_token)).body["viewCount"] == 30
    listed = await server.request("GET", f"{LISTINGS}?sellerId={seller.id}", token=viewers[0].access_token)
    assert listed.body["items"][0]["viewCount"] == 30  # lists do not count


async def test_the_flow_with_each_step_taken_by_its_party(server):
    seller, buyer, stranger = await server.account(), await server.account(), await server.account()
    listing = await _listing(server, seller, price="100", negotiable=True)
    deal = await _deal(server, buyer, listing, offer="80", message="Would you take 80?")
    assert deal["status"] == "initiated" and deal["amount"] == "80.00" and deal["agreedAmount"] is None
    assert deal["myRole"] == "buyer" and deal["sellerId"] == seller.id and deal["listingTitle"] == "3D printer"

    countered = await _step(server, seller, deal, "negotiate", amount="90", message="90 and it's yours")
    assert countered.status == 200 and countered.body["status"] == "negotiating"
    assert countered.body["amount"] == "90.00" and countered.body["myRole"] == "seller"
    again = await _step(server, buyer, deal, "negotiate", amount="85.5")
    assert again.body["status"] == "negotiating" and again.body["amount"] == "85.50"
    assert_problem(await _step(server, buyer, deal, "negotiate", amount="-1"), 422, "invalid")

    assert_problem(await _step(server, buyer, deal, "agree"), 403, "forbidden")
    assert_problem(await _step(server, stranger, deal, "agree"), 404, "not_found")
    assert_problem(await server.request("GET", f"{TRANSACTIONS}/{deal['id']}", token=stranger.access_token),
                   404, "not_found")
    agreed = await _step(server, seller, deal, "agree")
    assert agreed.body["status"] == "agreed" and agreed.body["agreedAmount"] == "85.50"

    assert_problem(await _step(server, seller, deal, "complete"), 403, "forbidden")
    assert_problem(await _step(server, stranger, deal, "complete"), 404, "not_found")
    done = await _step(server, buyer, deal, "complete")
    assert done.status == 200 and done.body["status"] == "completed" and done.body["completedAt"]
    assert done.body["agreedAmount"] == "85.50"
    seen = await server.request("GET", f"{TRANSACTIONS}/{deal['id']}", token=seller.access_token)
    assert seen.body["status"] == "completed" and seen.body["myRole"] == "seller"

    # A sold listing takes no new transaction, and stays as it is.
    sold = await server.request("GET", f"{LISTINGS}/{listing['id']}", token=stranger.access_token)
    assert sold.body["status"] == "sold"
    _conflict(await _initiate(server, stranger, listing), "listing_sold")
    _conflict(await server.request("PATCH", f"{LISTINGS}/{listing['id']}", token=seller.access_token,
                                   json={"price": "1"}), "listing_sold")
    _conflict(await server.request("DELETE", f"{LISTINGS}/{listing['id']}", token=seller.access_token),
              "listing_sold")


async def test_both_parties_hear_live_of_each_step_and_of_a_sale_that_cancels_theirs(server):
    seller, buyer, outbid = await server.account(), await server.account(), await server.account()
    listing = await _listing(server, seller, negotiable=True)
    sockets = {account.id: await connect(server, account) for account in (seller, buyer, outbid)}

    def about(deal_id, status):
        return lambda data: data["transaction"]["id"] == deal_id and data["transaction"]["status"] == status

    deal = await _deal(server, buyer, listing, offer="400")
    heard = await sockets[seller.id].wait_for("marketplace:transaction", where=about(deal["id"], "initiated"))
    assert heard["transaction"]["myRole"] == "seller" and heard["transaction"]["amount"] == "400.00"
    other = await _deal(server, outbid, listing)
    await _step(server, seller, deal, "negotiate", amount="420")
    heard = await sockets[buyer.id].wait_for("marketplace:transaction", where=about(deal["id"], "negotiating"))
    assert heard["transaction"]["myRole"] == "buyer" and heard["transaction"]["amount"] == "420.00"
    await _step(server, seller, deal, "agree")
    await sockets[buyer.id].wait_for("marketplace:transaction", where=about(deal["id"], "agreed"))
    await _step(server, buyer, deal, "complete")
    await sockets[seller.id].wait_for("marketplace:transaction", where=about(deal["id"], "completed"))
    for account in (seller, outbid):  # the sale cancelled the other buyer's transaction, and both are told
        await sockets[account.id].wait_for("marketplace:transaction", where=about(other["id"], "cancelled"))
    assert not [data for name, data in sockets[outbid.id].events
                if name == "marketplace:transaction" and data["transaction"]["id"] == deal["id"]]


async def test_every_step_outside_the_flow_is_refused(server):
    seller = await server.account()
    listing = await _listing(server, seller, negotiable=True)

    async def in_status(*steps: str) -> dict:
        buyer_now = await server.account()
        deal = await _deal(server, buyer_now, listing)
        for name in steps:
            actor = buyer_now if name == "complete" else seller
            assert (await _step(server, actor, deal, name, amount="400")).status == 200
        deal["buyer"] = buyer_now
        return deal

    initiated = await in_status()
    _conflict(await _step(server, initiated["buyer"], initiated, "complete"), "status_transition")

    negotiating = await in_status("negotiate")
    _conflict(await _step(server, negotiating["buyer"], negotiating, "complete"), "status_transition")

    agreed = await in_status("agree")
    for name in ("negotiate", "agree"):
        response = await _step(server, seller, agreed, name, amount="1")
        _conflict(response, "status_transition")
        assert response.body["details"]["status"] == "agreed"

    cancelled = await in_status("cancel")
    for name in ("negotiate", "agree", "cancel"):
        _conflict(await _step(server, seller, cancelled, name, amount="1"), "status_transition")
    _conflict(await _step(server, cancelled["buyer"], cancelled, "complete"), "status_transition")

    # Nothing goes back: the steps' results never include initiated, and final states stay final.
    assert (await _step(server, agreed["buyer"], agreed, "complete")).status == 200
    _conflict(await _step(server, seller, agreed, "cancel"), "status_transition")
    _conflict(await _step(server, agreed["buyer"], agreed, "cancel"), "status_transition")
    for name in ("negotiate", "agree"):  # the listing is sold now, which is said first
        _conflict(await _step(server, seller, agreed, name, amount="1"), "listing_sold")
    _conflict(await _step(server, agreed["buyer"], agreed, "complete"), "listing_sold")

    # Selling cancelled what was still open on the listing.
    for deal in (initiated, negotiating):
        now = await server.request("GET", f"{TRANSACTIONS}/{deal['id']}", token=seller.access_token)
        assert now.body["status"] == "cancelled"


async def test_the_seller_cannot_buy_their_own_listing(server):
    seller = await server.account()
    listing = await _listing(server, seller)
    assert_problem(await _initiate(server, seller, listing), 403, "forbidden")
    # The database refuses it too.
    with pytest.raises(asyncpg.CheckViolationError):
        await sql(server, "INSERT INTO marketplace_transactions (listing_id, seller_id, buyer_id)"
                          " VALUES ($1, $2, $2)", listing["id"], seller.id)


async def test_prices_that_are_not_negotiable_and_listings_without_a_price(server):
    seller, buyer, other = await server.account(), await server.account(), await server.account()
    fixed = await _listing(server, seller, price="20")
    _conflict(await _initiate(server, buyer, fixed, offer="15"), "not_negotiable")
    deal = await _deal(server, buyer, fixed, offer="20.00")
    assert deal["amount"] == "20.00"
    _conflict(await _step(server, buyer, deal, "negotiate", amount="15"), "not_negotiable")
    agreed = await _step(server, seller, deal, "agree")
    assert agreed.body["agreedAmount"] == "20.00"

    unpriced = await _listing(server, seller, listingType="partnership", price=None, negotiable=True)
    open_ended = await _deal(server, other, unpriced, message="Interested in partnering")
    assert open_ended["amount"] is None
    _conflict(await _step(server, seller, open_ended, "agree"), "no_amount")
    assert (await _step(server, other, open_ended, "negotiate", amount="5000")).status == 200
    assert (await _step(server, seller, open_ended, "agree")).body["agreedAmount"] == "5000.00"


async def test_a_buyer_has_one_open_transaction_per_listing_even_when_asking_at_once(server):
    seller, buyer = await server.account(), await server.account()
    listing = await _listing(server, seller)
    answers = await asyncio.gather(*(_initiate(server, buyer, listing) for _ in range(10)))
    assert sorted(answer.status for answer in answers) == [201] + [409] * 9
    for answer in answers:
        if answer.status == 409:
            _conflict(answer, "already_open")
    deal = next(answer.body for answer in answers if answer.status == 201)
    assert (await _step(server, buyer, deal, "cancel")).body["status"] == "cancelled"
    assert (await _initiate(server, buyer, listing)).status == 201  # after a cancellation, again


async def test_many_buyers_complete_at_once_and_exactly_one_buys(server):
    seller = await server.account()
    buyers = [await server.account() for _ in range(8)]
    listing = await _listing(server, seller, price="300")
    deals = [await _deal(server, buyer, listing) for buyer in buyers]
    for deal in deals:
        assert (await _step(server, seller, deal, "agree")).status == 200
    results = await asyncio.gather(*(_step(server, buyer, deal, "complete")
                                     for buyer, deal in zip(buyers, deals, strict=True)))
    winners = [result for result in results if result.status == 200]
    assert len(winners) == 1 and winners[0].body["status"] == "completed"
    for result in results:
        if result.status != 200:
            _conflict(result, "listing_sold")
    rows = await sql(server, "SELECT status, count(*) FROM marketplace_transactions WHERE listing_id = $1"
                             " GROUP BY status", listing["id"])
    assert {row["status"]: row["count"] for row in rows} == {"completed": 1, "cancelled": 7}
    assert (await sql(server, "SELECT status FROM marketplace_listings WHERE id = $1", listing["id"]))[0][
        "status"] == "sold"
    # The database holds to one sale even against a direct write.
    loser = next(deal for deal in deals if deal["id"] != winners[0].body["id"])
    with pytest.raises(asyncpg.UniqueViolationError):
        await sql(server, "UPDATE marketplace_transactions SET status = 'completed', completed_at = now(),"
                          " agreed_amount = 300 WHERE id = $1", loser["id"])


async def test_new_buyers_racing_a_sale_either_wait_for_it_or_are_refused(server):
    seller, first = await server.account(), await server.account()
    others = [await server.account() for _ in range(10)]
    listing = await _listing(server, seller)
    deal = await _deal(server, first, listing)
    await _step(server, seller, deal, "agree")
    results = await asyncio.gather(_step(server, first, deal, "complete"),
                                   *(_initiate(server, other, listing) for other in others))
    assert results[0].status == 200
    for late in results[1:]:
        assert late.status in (201, 409), late.body
        if late.status == 409:
            _conflict(late, "listing_sold")
    # Whoever got in before the sale was cancelled by it: nothing is left open on a sold listing.
    rows = await sql(server, "SELECT status FROM marketplace_transactions WHERE listing_id = $1", listing["id"])
    assert sorted(row["status"] for row in rows) == sorted(["completed"] + ["cancelled"] * (len(rows) - 1))
    assert len(rows) - 1 == sum(late.status == 201 for late in results[1:])


async def test_the_expiry_task_expires_in_batches_and_is_idempotent(server):
    svc = server.app[SERVICES]
    seller, buyer = await server.account(), await server.account()
    due = [await _listing(server, seller, title=f"Due {i}") for i in range(5)]
    fresh = await _listing(server, seller, title="Fresh")
    deal = await _deal(server, buyer, due[0])
    for listing in due:
        await _expire(server, listing)
    # Past its expiry a listing reads as expired and takes nothing new, before the task has run.
    shown = await server.request("GET", f"{LISTINGS}/{due[0]['id']}", token=buyer.access_token)
    assert shown.body["status"] == "expired"
    _conflict(await _initiate(server, buyer, due[1]), "listing_expired")
    _conflict(await _step(server, seller, deal, "agree"), "listing_expired")
    active = await server.request("GET", f"{LISTINGS}?status=active", token=buyer.access_token)
    assert [item["id"] for item in active.body["items"]] == [fresh["id"]]

    assert await marketplace.expire_listings(svc, batch_size=2) == 5
    stored = await sql(server, "SELECT id::text, status FROM marketplace_listings")
    assert {row["id"]: row["status"] for row in stored} == {
        **{listing["id"]: "expired" for listing in due}, fresh["id"]: "active"}
    assert (await server.request("GET", f"{TRANSACTIONS}/{deal['id']}", token=buyer.access_token)).body[
        "status"] == "cancelled"
    assert await marketplace.expire_listings(svc) == 0  # again: nothing to do

    # The seller renews one by giving it a later expiry.
    renewed = await server.request("PATCH", f"{LISTINGS}/{due[1]['id']}", token=seller.access_token,
                                   json={"expiresAt": _at(days=7)})
    assert renewed.status == 200 and renewed.body["status"] == "active"
    assert (await _initiate(server, buyer, due[1])).status == 201


async def test_the_periodic_runner_expires_listings(server):
    assert marketplace.expire_listings in periodic.PERIODIC_TASKS
    seller = await server.account()
    listing = await _listing(server, seller)
    await _expire(server, listing)
    await periodic.run_once(server.app[SERVICES])
    rows = await sql(server, "SELECT status FROM marketplace_listings WHERE id = $1", listing["id"])
    assert rows[0]["status"] == "expired"


async def _all_pages(server, account, path: str) -> list[dict]:
    items, cursor = [], ""
    while True:
        separator = "&" if "?" in path else "?"
        page = await server.request("GET", f"{path}{separator}limit=2&cursor={cursor}", token=account.access_token)
        assert page.status == 200, page.body
        items += page.body["items"]
        if not (cursor := page.body["nextCursor"]):
            return items


async def test_listings_page_and_filter_by_type_status_price_and_seller(server):
    alice, bob, viewer = await server.account(), await server.account(), await server.account()
    cheap = await _listing(server, alice, title="Cheap", price="10")
    middle = await _listing(server, alice, title="Middle", price="50.25")
    dear = await _listing(server, alice, title="Dear", price="100")
    service = await _listing(server, bob, title="Design", listingType="service", price="30")
    job = await _listing(server, bob, title="Engineer", listingType="job", price=None)
    gone = await _listing(server, alice, title="Gone", price="20")
    await server.request("DELETE", f"{LISTINGS}/{gone['id']}", token=alice.access_token)

    def titles(items):
        return [item["title"] for item in items]

    everything = await _all_pages(server, viewer, LISTINGS)
    assert titles(everything) == ["Engineer", "Design", "Dear", "Middle", "Cheap"]  # newest first, none removed
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?listingType=product")) == ["Dear", "Middle", "Cheap"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?minPrice=20&maxPrice=60")) == ["Design", "Middle"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?minPrice=50.25")) == ["Dear", "Middle"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?maxPrice=10")) == ["Cheap"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?sellerId={bob.id}")) == ["Engineer", "Design"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?sellerId={alice.id}&listingType=service")) == []
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?status=removed")) == []
    assert titles(await _all_pages(server, alice, f"{LISTINGS}?status=removed")) == ["Gone"]

    buyer = await server.account()
    deal = await _deal(server, buyer, cheap)
    await _step(server, alice, deal, "agree")
    await _step(server, buyer, deal, "complete")
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?status=sold")) == ["Cheap"]
    assert titles(await _all_pages(server, viewer, f"{LISTINGS}?status=active&listingType=product")) == [
        "Dear", "Middle"]

    for bad in ("minPrice=60&maxPrice=20", "minPrice=-1", "maxPrice=abc", "status=gone", "listingType=car",
                "sellerId=nobody", "cursor=zzz", "limit=0"):
        assert_problem(await server.request("GET", f"{LISTINGS}?{bad}", token=viewer.access_token), 422, "invalid")
    assert middle and dear and service and job


async def test_transactions_list_for_each_party_with_filters(server):
    seller, buyer, other = await server.account(), await server.account(), await server.account()
    first = await _listing(server, seller, title="First")
    second = await _listing(server, seller, title="Second")
    mine = await _listing(server, buyer, title="Buyer's own")
    a = await _deal(server, buyer, first)
    b = await _deal(server, buyer, second)
    c = await _deal(server, other, first)
    d = await _deal(server, seller, mine)  # the seller buys from the buyer
    await _step(server, buyer, b, "cancel")

    def ids(items):
        return [item["id"] for item in items]

    assert ids(await _all_pages(server, buyer, TRANSACTIONS)) == [d["id"], b["id"], a["id"]]
    assert ids(await _all_pages(server, buyer, f"{TRANSACTIONS}?role=buyer")) == [b["id"], a["id"]]
    assert ids(await _all_pages(server, buyer, f"{TRANSACTIONS}?role=seller")) == [d["id"]]
    assert ids(await _all_pages(server, seller, f"{TRANSACTIONS}?role=seller")) == [c["id"], b["id"], a["id"]]
    assert ids(await _all_pages(server, seller, f"{TRANSACTIONS}?listingId={first['id']}")) == [c["id"], a["id"]]
    assert ids(await _all_pages(server, seller, f"{TRANSACTIONS}?status=cancelled")) == [b["id"]]
    assert ids(await _all_pages(server, other, TRANSACTIONS)) == [c["id"]]
    assert_problem(await server.request("GET", f"{TRANSACTIONS}?role=admin", token=seller.access_token),
                   422, "invalid")
