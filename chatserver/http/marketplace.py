"""The SmileFactory marketplace: listings, and transactions between a buyer and the seller."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import marketplace
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.marketplace import (
    ListingIn,
    ListingOut,
    ListingPage,
    ListingQuery,
    ListingUpdateIn,
    NegotiateIn,
    TransactionIn,
    TransactionOut,
    TransactionPage,
    TransactionQuery,
)

api = Api()
TAGS = ("marketplace",)
SELLER_ERRORS = ("not_found", "forbidden", "conflict")
STEP_ERRORS = ("not_found", "forbidden", "conflict")


@api.post("/marketplace-listings", summary="List something for sale (active until expiresAt)", tags=TAGS,
          body=ListingIn, response=ListingOut, status=201)
async def create_marketplace_listing(ctx: Context, body: ListingIn) -> ListingOut:
    return await marketplace.create_listing(ctx.svc, ctx.user, body)


@api.get("/marketplace-listings", summary="Listings, newest first, by type, status, category, seller and price",
         tags=TAGS, query=ListingQuery, response=ListingPage)
async def list_marketplace_listings(ctx: Context, query: ListingQuery) -> ListingPage:
    return await marketplace.list_listings(ctx.svc, ctx.user, query)


@api.get("/marketplace-listings/{id}", summary="A listing (opening someone else's counts a view)", tags=TAGS,
         response=ListingOut, errors=("not_found",))
async def get_marketplace_listing(ctx: Context, id: UUID) -> ListingOut:
    return await marketplace.view_listing(ctx.svc, ctx.user, id)


@api.patch("/marketplace-listings/{id}", summary="Change your listing (a later expiresAt renews an expired one)",
           tags=TAGS, body=ListingUpdateIn, response=ListingOut, errors=SELLER_ERRORS)
async def update_marketplace_listing(ctx: Context, id: UUID, body: ListingUpdateIn) -> ListingOut:
    return await marketplace.update_listing(ctx.svc, ctx.user, id, body)


@api.delete("/marketplace-listings/{id}", summary="Remove your listing (its open transactions are cancelled)",
            tags=TAGS, status=204, errors=SELLER_ERRORS)
async def remove_marketplace_listing(ctx: Context, id: UUID) -> Reply:
    await marketplace.remove_listing(ctx.svc, ctx.user, id)
    return Reply(None, status=204)


@api.post("/marketplace-listings/{id}/transactions", summary="Start buying a listing (not your own)", tags=TAGS,
          body=TransactionIn, response=TransactionOut, status=201, errors=SELLER_ERRORS)
async def initiate_marketplace_transaction(ctx: Context, id: UUID, body: TransactionIn) -> TransactionOut:
    return await marketplace.initiate(ctx.svc, ctx.user, id, body)


@api.get("/marketplace-transactions", summary="Your transactions, as buyer or seller, newest first", tags=TAGS,
         query=TransactionQuery, response=TransactionPage)
async def list_marketplace_transactions(ctx: Context, query: TransactionQuery) -> TransactionPage:
    return await marketplace.list_transactions(ctx.svc, ctx.user, query)


@api.get("/marketplace-transactions/{id}", summary="One of your transactions", tags=TAGS, response=TransactionOut,
         errors=("not_found",))
async def get_marketplace_transaction(ctx: Context, id: UUID) -> TransactionOut:
    return await marketplace.get_transaction(ctx.svc, ctx.user, id)


@api.post("/marketplace-transactions/{id}/negotiate", summary="Offer or counter-offer (buyer or seller)", tags=TAGS,
          body=NegotiateIn, response=TransactionOut, errors=STEP_ERRORS)
async def negotiate_marketplace_transaction(ctx: Context, id: UUID, body: NegotiateIn) -> TransactionOut:
    return await marketplace.step(ctx.svc, ctx.user, id, "negotiate", body)


@api.post("/marketplace-transactions/{id}/agree", summary="Accept the amount on the table (the seller)", tags=TAGS,
          response=TransactionOut, errors=STEP_ERRORS)
async def agree_marketplace_transaction(ctx: Context, id: UUID) -> TransactionOut:
    return await marketplace.step(ctx.svc, ctx.user, id, "agree")


@api.post("/marketplace-transactions/{id}/complete", summary="Close the deal: the listing is sold (the buyer)",
          tags=TAGS, response=TransactionOut, errors=STEP_ERRORS)
async def complete_marketplace_transaction(ctx: Context, id: UUID) -> TransactionOut:
    return await marketplace.step(ctx.svc, ctx.user, id, "complete")


@api.post("/marketplace-transactions/{id}/cancel", summary="Cancel an open transaction (buyer or seller)",
          tags=TAGS, response=TransactionOut, errors=STEP_ERRORS)
async def cancel_marketplace_transaction(ctx: Context, id: UUID) -> TransactionOut:
    return await marketplace.step(ctx.svc, ctx.user, id, "cancel")
