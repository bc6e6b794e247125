"""The SmileFactory marketplace: sellers list, buyers open transactions, and each transaction moves
forward one step at a time, each step taken only by the party allowed it (`STEPS`).

Locks: every write takes the listing row first (shared to keep it as it is, exclusive to change
it), then the transaction row. So a sale, an offer, an edit and the expiry of one listing never
pass each other, and the order never deadlocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.broker import rooms
from chatserver.errors import ApiError, conflict, forbidden, invalid, not_found
from chatserver.schemas.events import MARKETPLACE_TRANSACTION
from chatserver.schemas.marketplace import (
    ListingIn,
    ListingOut,
    ListingPage,
    ListingQuery,
    ListingUpdateIn,
    NegotiateIn,
    TransactionChangedEvent,
    TransactionIn,
    TransactionOut,
    TransactionPage,
    TransactionQuery,
)
from chatserver.schemas.pagination import fetch_page
from chatserver.store import marketplace as store

DEFAULT_LIFETIME = timedelta(days=30)
MAX_LIFETIME = timedelta(days=366)
EXPIRY_BATCH = 500  # listings expired per transaction by the periodic task

StepName = Literal["negotiate", "agree", "complete", "cancel"]


@dataclass(frozen=True)
class Step:
    before: frozenset[str]   # the statuses it starts from
    after: str               # the status it leads to
    by: frozenset[str]       # who may take it: "buyer", "seller"
    done: str                # how a refusal names it ("cannot be <done>")


# The transaction flow, the one place it is written. A buyer initiates (`initiate`, not here:
# it creates the row). Only forward: nothing leads back to `initiated`, and `completed` and
# `cancelled` are final.
STEPS: dict[StepName, Step] = {
    # an offer or counter-offer, on a negotiable listing
    "negotiate": Step(frozenset({"initiated", "negotiating"}), "negotiating", frozenset({"buyer", "seller"}),
                      "negotiated"),
    # the seller accepts the amount on the table, which becomes the agreed price
    "agree": Step(frozenset({"initiated", "negotiating"}), "agreed", frozenset({"seller"}), "agreed"),
    # the buyer closes the deal: the listing is sold
    "complete": Step(frozenset({"agreed"}), "completed", frozenset({"buyer"}), "completed"),
    "cancel": Step(frozenset(store.OPEN), "cancelled", frozenset({"buyer", "seller"}), "cancelled"),
}


def _amount(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    """Wire values as the columns take them."""
    if values.get("price") is not None:
        values["price"] = Decimal(values["price"])
    return values


def _check_expiry(expires_at: datetime) -> None:
    now = datetime.now(UTC)
    if expires_at <= now:
        raise invalid({"expiresAt": "must be in the future"})
    if expires_at > now + MAX_LIFETIME:
        raise invalid({"expiresAt": "must be at most a year ahead"})


def _not_taking(listing: asyncpg.Record) -> ApiError | None:
    """Why a listing takes no new transaction and no step but a cancellation; None while active."""
    status = listing["current_status"]
    return None if status == "active" else conflict(f"the listing is {status}", reason=f"listing_{status}")


# Listings.

async def _render_listing(conn: asyncpg.Connection, listing_id: UUID, viewer_id: UUID) -> ListingOut:
    return ListingOut.render(await store.listing(conn, listing_id, viewer_id))


async def create_listing(svc: Services, principal: Principal, body: ListingIn) -> ListingOut:
    values = _stored(body.model_dump())
    values["expires_at"] = values["expires_at"] or datetime.now(UTC) + DEFAULT_LIFETIME
    _check_expiry(values["expires_at"])
    async with svc.db.transaction("create_marketplace_listing") as conn:
        listing_id = await store.insert_listing(conn, principal.user_id, values)
        return await _render_listing(conn, listing_id, principal.user_id)


async def list_listings(svc: Services, principal: Principal, query: ListingQuery) -> ListingPage:
    equal = {column: value for column, value in (("listing_type", query.listing_type), ("category", query.category),
                                                 ("seller_id", query.seller_id), ("currency", query.currency))
             if value is not None}
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page_listings(
            conn, principal.user_id, equal=equal, status=query.status, min_price=_amount(query.min_price),
            max_price=_amount(query.max_price), after=after, limit=limit))
    return ListingPage.of(window, ListingOut.render)


async def view_listing(svc: Services, principal: Principal, listing_id: UUID) -> ListingOut:
    """A listing; opening someone else's counts one view (the answer includes it)."""
    async with svc.db.transaction("view_marketplace_listing") as conn:
        await store.count_view(conn, listing_id, principal.user_id)
        row = await store.listing(conn, listing_id, principal.user_id)
    if row is None:
        raise not_found("listing")
    return ListingOut.render(row)


async def _seller_locks(conn: asyncpg.Connection, principal: Principal, listing_id: UUID) -> asyncpg.Record:
    listing = await store.lock_listing(conn, listing_id, exclusive=True)
    if listing is None or (listing["status"] == "removed" and listing["seller_id"] != principal.user_id):
        raise not_found("listing")
    if listing["seller_id"] != principal.user_id:
        raise forbidden("only the seller may change this listing")
    return listing


async def update_listing(svc: Services, principal: Principal, listing_id: UUID, body: ListingUpdateIn) -> ListingOut:
    changes = _stored(body.model_dump(exclude_unset=True))
    if "expires_at" in changes:
        _check_expiry(changes["expires_at"])
    async with svc.db.transaction("update_marketplace_listing") as conn:
        listing = await _seller_locks(conn, principal, listing_id)
        if listing["status"] in ("sold", "removed"):
            raise conflict(f"a {listing['status']} listing no longer changes", reason=f"listing_{listing['status']}")
        if "expires_at" in changes:
            changes["status"] = "active"  # a later expiry renews an expired listing
        await store.update_listing(conn, listing_id, changes)
        return await _render_listing(conn, listing_id, principal.user_id)


async def remove_listing(svc: Services, principal: Principal, listing_id: UUID) -> None:
    """The seller takes the listing down; its open transactions are cancelled. Again is a no-op."""
    async with svc.db.transaction("remove_marketplace_listing") as conn:
        listing = await _seller_locks(conn, principal, listing_id)
        if listing["status"] == "removed":
            return
        if listing["status"] == "sold":
            raise conflict("a sold listing stays on record", reason="listing_sold")
        await store.update_listing(conn, listing_id, {"status": "removed"})
        await _tell(svc, conn, await store.cancel_open(conn, [listing_id]))


async def expire_listings(svc: Services, batch_size: int = EXPIRY_BATCH) -> int:
    """The periodic task: listings past their expiry become `expired` and their open transactions are
    cancelled, a batch per transaction until none is left; how many expired. Idempotent."""
    expired = 0
    while True:
        async with svc.db.transaction("expire_marketplace_listings") as conn:
            listing_ids = await store.expire_due(conn, batch_size)
            await _tell(svc, conn, await store.cancel_open(conn, listing_ids))
        expired += len(listing_ids)
        if len(listing_ids) < batch_size:
            return expired


# Transactions.

async def _tell(svc: Services, conn: asyncpg.Connection, transaction_ids: list[UUID]) -> None:
    """Queue `marketplace:transaction` to both parties of each transaction, each as they see it."""
    for row in await store.transactions(conn, transaction_ids):
        for party_id in (row["buyer_id"], row["seller_id"]):
            svc.publish_after_commit(MARKETPLACE_TRANSACTION.to(
                (rooms.user(party_id),), TransactionChangedEvent(transaction=TransactionOut.render(row, party_id))))


async def _changed(svc: Services, conn: asyncpg.Connection, transaction_id: UUID, party_id: UUID) -> TransactionOut:
    """The transaction as the caller now sees it, its parties told."""
    await _tell(svc, conn, [transaction_id])
    return TransactionOut.render(await store.transaction(conn, transaction_id, party_id), party_id)


async def initiate(svc: Services, principal: Principal, listing_id: UUID, body: TransactionIn) -> TransactionOut:
    """A buyer opens a transaction on an active listing, at its price or (if negotiable) an offer."""
    async with svc.db.transaction("initiate_marketplace_transaction") as conn:
        listing = await store.lock_listing(conn, listing_id, exclusive=False)
        if listing is None or (listing["status"] == "removed" and listing["seller_id"] != principal.user_id):
            raise not_found("listing")
        if listing["seller_id"] == principal.user_id:
            raise forbidden("you cannot buy your own listing")
        if refusal := _not_taking(listing):
            raise refusal
        offer = _amount(body.offer)
        if offer is not None and offer != listing["price"] and not listing["negotiable"]:
            raise conflict("this listing's price is not negotiable", reason="not_negotiable")
        try:
            transaction_id = await store.insert_transaction(
                conn, listing, principal.user_id, offer if offer is not None else listing["price"], body.message)
        except store.AlreadyOpen:
            raise conflict("you already have an open transaction on this listing", reason="already_open") from None
        return await _changed(svc, conn, transaction_id, principal.user_id)


async def step(svc: Services, principal: Principal, transaction_id: UUID, name: StepName,
               body: NegotiateIn | None = None) -> TransactionOut:
    """Take one step of `STEPS`: checked in this order: the caller is a party (else not_found), the
    party allowed this step (forbidden), the listing still active unless cancelling (conflict,
    `listing_<status>`), the transaction in a status the step starts from (conflict,
    `status_transition`)."""
    rule = STEPS[name]
    async with svc.db.transaction(f"{name}_marketplace_transaction") as conn:
        listing_id = await store.listing_of(conn, transaction_id)
        listing = await store.lock_listing(conn, listing_id, exclusive=name == "complete") if listing_id else None
        deal = await store.lock_transaction(conn, transaction_id) if listing else None
        if not deal or principal.user_id not in (deal["buyer_id"], deal["seller_id"]):
            raise not_found("transaction")
        role = "buyer" if deal["buyer_id"] == principal.user_id else "seller"
        if role not in rule.by:
            raise forbidden(f"only the {' or '.join(sorted(rule.by))} may take this step")
        if name != "cancel" and (refusal := _not_taking(listing)):
            raise refusal
        if deal["status"] not in rule.before:
            raise conflict(f"a transaction that is {deal['status']} cannot be {rule.done}",
                           reason="status_transition", status=deal["status"])
        changes: dict[str, Any] = {}
        if name == "negotiate":
            if not listing["negotiable"]:
                raise conflict("this listing's price is not negotiable", reason="not_negotiable")
            changes = {"amount": _amount(body.amount)} | ({"message": body.message} if body.message is not None else {})
        if name == "agree":
            if deal["amount"] is None:
                raise conflict("there is no amount to agree on yet: make an offer first", reason="no_amount")
            changes["agreed_amount"] = deal["amount"]
        await store.advance(conn, transaction_id, rule.after, changes)
        if name == "complete":
            await store.update_listing(conn, listing_id, {"status": "sold"})
            await _tell(svc, conn, await store.cancel_open(conn, [listing_id]))  # the other buyers' end here
        return await _changed(svc, conn, transaction_id, principal.user_id)


async def get_transaction(svc: Services, principal: Principal, transaction_id: UUID) -> TransactionOut:
    async with svc.db.connection() as conn:
        row = await store.transaction(conn, transaction_id, principal.user_id)
    if row is None:
        raise not_found("transaction")
    return TransactionOut.render(row, principal.user_id)


async def list_transactions(svc: Services, principal: Principal, query: TransactionQuery) -> TransactionPage:
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page_transactions(
            conn, principal.user_id, role=query.role, status=query.status, listing_id=query.listing_id,
            after=after, limit=limit))
    return TransactionPage.of(window, lambda row: TransactionOut.render(row, principal.user_id))
