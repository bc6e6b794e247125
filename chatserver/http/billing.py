"""CommunityOS billing: subscription tiers, a member's tier, subscriptions and payments, Stripe's webhook."""

from __future__ import annotations

from uuid import UUID

import orjson

from chatserver.actions import billing, stripe_events
from chatserver.errors import bad_signature, invalid
from chatserver.http.api import Api, Context, Reply
from chatserver.schemas.base import parse
from chatserver.schemas.billing import (
    MemberBillingOut,
    PaymentPage,
    PaymentQuery,
    StripeEventIn,
    StripeReceiptOut,
    SubscriptionPage,
    SubscriptionQuery,
    TierChoiceIn,
    TierIn,
    TierOut,
    TierPage,
    TierQuery,
    TierUpdateIn,
)
from chatserver.security.stripe_signatures import BadSignature, verify

api = Api()
TAGS = ("subscription tiers",)
BILLING_TAGS = ("billing",)
MANAGE_ERRORS = ("not_found", "forbidden", "conflict")


@api.post("/communities/{id}/tiers", summary="Add a subscription tier (owners and admins)", tags=TAGS,
          body=TierIn, response=TierOut, status=201, errors=MANAGE_ERRORS)
async def create_subscription_tier(ctx: Context, id: UUID, body: TierIn) -> TierOut:
    return await billing.create_tier(ctx.svc, ctx.user, id, body)


@api.get("/communities/{id}/tiers", summary="The community's tiers, by sort order", tags=TAGS,
         query=TierQuery, response=TierPage, errors=("not_found",))
async def list_subscription_tiers(ctx: Context, id: UUID, query: TierQuery) -> TierPage:
    return await billing.list_tiers(ctx.svc, ctx.user, id, query)


@api.get("/communities/{id}/tiers/{tierId}", summary="A tier", tags=TAGS, response=TierOut, errors=("not_found",))
async def get_subscription_tier(ctx: Context, id: UUID, tierId: UUID) -> TierOut:  # noqa: N803
    return await billing.get_tier(ctx.svc, ctx.user, id, tierId)


@api.patch("/communities/{id}/tiers/{tierId}", summary="Change a tier (owners and admins)", tags=TAGS,
           body=TierUpdateIn, response=TierOut, errors=MANAGE_ERRORS)
async def update_subscription_tier(ctx: Context, id: UUID, tierId: UUID, body: TierUpdateIn) -> TierOut:  # noqa: N803
    return await billing.update_tier(ctx.svc, ctx.user, id, tierId, body)


@api.delete("/communities/{id}/tiers/{tierId}", summary="Remove a tier (its members keep their subscription)",
            tags=TAGS, status=204, errors=MANAGE_ERRORS)
async def delete_subscription_tier(ctx: Context, id: UUID, tierId: UUID) -> Reply:  # noqa: N803
    await billing.delete_tier(ctx.svc, ctx.user, id, tierId)
    return Reply(None, status=204)


@api.get("/communities/{id}/my-subscription", summary="Your tier and subscription in the community",
         tags=TAGS, response=MemberBillingOut, errors=("not_found", "forbidden"))
async def get_my_subscription(ctx: Context, id: UUID) -> MemberBillingOut:
    return await billing.my_billing(ctx.svc, ctx.user, id)


@api.put("/communities/{id}/my-subscription", summary="Pick a tier (within its member cap), or none",
         tags=TAGS, body=TierChoiceIn, response=MemberBillingOut, errors=("not_found", "forbidden", "conflict"))
async def choose_my_tier(ctx: Context, id: UUID, body: TierChoiceIn) -> MemberBillingOut:
    return await billing.choose_tier(ctx.svc, ctx.user, id, body)


@api.get("/communities/{id}/subscriptions", summary="The community's subscriptions (owners and admins)",
         tags=BILLING_TAGS, query=SubscriptionQuery, response=SubscriptionPage, errors=("not_found", "forbidden"))
async def list_community_subscriptions(ctx: Context, id: UUID, query: SubscriptionQuery) -> SubscriptionPage:
    return await billing.list_subscriptions(ctx.svc, ctx.user, id, query)


@api.get("/communities/{id}/payments", summary="The community's payments (owners and admins)",
         tags=BILLING_TAGS, query=PaymentQuery, response=PaymentPage, errors=("not_found", "forbidden"))
async def list_community_payments(ctx: Context, id: UUID, query: PaymentQuery) -> PaymentPage:
    return await billing.list_payments(ctx.svc, ctx.user, id, query)


@api.post("/webhooks/stripe", summary="Stripe's events (signed with the Stripe-Signature header)",
          tags=BILLING_TAGS, body=StripeEventIn, body_kind="raw", response=StripeReceiptOut, auth=False,
          errors=("bad_signature", "unavailable"))
async def receive_stripe_event(ctx: Context) -> StripeReceiptOut:
    """Verifies `Stripe-Signature: t=...,v1=...` against STRIPE_WEBHOOK_SECRET (300 s tolerance, several
    `v1` accepted while a secret rotates), then applies the event once by its id: a replay answers 200
    with `duplicate` and changes nothing. Handles `customer.subscription.created`, `.updated`, `.deleted`,
    `invoice.paid` and `invoice.payment_failed`, whose object carries `community_id`, `member_id` and
    `tier_id` in its `metadata`; anything else is recorded and answered `ignored`."""
    secrets = stripe_events.require_secrets(ctx.svc)
    body = await ctx.request.read()  # the exact bytes Stripe signed
    try:
        verify(ctx.header("Stripe-Signature"), body, secrets)
    except BadSignature as why:
        raise bad_signature(f"the Stripe signature does not verify: {why}") from None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise invalid({"body": "not valid JSON"}, "request body is not valid JSON") from None
    return await stripe_events.receive(ctx.svc, parse(StripeEventIn, data))
