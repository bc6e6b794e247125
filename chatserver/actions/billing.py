"""CommunityOS tiers: what a community sells, managed by its owner and admins; which one a member picks.

Every transaction here is scoped to its community and caller first (chatserver/db/tenancy.py): tiers,
members, subscriptions and payments are tenant tables under row-level security. Subscriptions and
payments are written only by Stripe's webhook (actions/stripe_events.py); here they are only read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from uuid import UUID

import asyncpg

from chatserver.actions import tenants
from chatserver.actions.context import Principal, Services
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.schemas.billing import (
    MemberBillingOut,
    PaymentOut,
    PaymentPage,
    PaymentQuery,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionQuery,
    TierChoiceIn,
    TierIn,
    TierOut,
    TierPage,
    TierQuery,
    TierUpdateIn,
)
from chatserver.schemas.pagination import by_columns, fetch_page
from chatserver.store import billing


@asynccontextmanager
async def _in_community(svc: Services, name: str, principal: Principal, community_id: UUID, *,
                        manage: bool = False) -> AsyncIterator[asyncpg.Connection]:
    """A transaction scoped to the community, which the caller sees; `manage`: and may run (owner, admin)."""
    async with svc.db.transaction(name) as conn:
        await (tenants.enter_as_manager if manage else tenants.enter)(conn, principal, community_id)
        yield conn


async def _tier(conn: asyncpg.Connection, tier_id: UUID, *, lock: bool = False) -> asyncpg.Record:
    row = await billing.tier(conn, tier_id, lock=lock)
    if row is None:  # another community's tier is out of sight: row-level security
        raise not_found("tier")
    return row


def _values(body: TierIn | TierUpdateIn, *, exclude_unset: bool) -> dict:
    values = body.model_dump(exclude_unset=exclude_unset, exclude_none=not exclude_unset)
    if values.get("price") is not None:
        values["price"] = Decimal(values["price"])
    return values


async def create_tier(svc: Services, principal: Principal, community_id: UUID, body: TierIn) -> TierOut:
    try:
        async with _in_community(svc, "create_tier", principal, community_id, manage=True) as conn:
            tier_id = await billing.insert_tier(conn, community_id, _values(body, exclude_unset=False))
            return TierOut.render(await _tier(conn, tier_id))
    except billing.TierNameTaken:
        raise conflict("the community has a tier of that name, or that Stripe price is used", field="name") from None


async def list_tiers(svc: Services, principal: Principal, community_id: UUID, query: TierQuery) -> TierPage:
    async with _in_community(svc, "list_tiers", principal, community_id) as conn:
        window = await fetch_page(query, lambda after, limit: billing.list_tiers(
            conn, active=query.active, after=after, limit=limit), by_columns("sort_order", "id"))
    return TierPage.of(window, TierOut.render)


async def get_tier(svc: Services, principal: Principal, community_id: UUID, tier_id: UUID) -> TierOut:
    async with _in_community(svc, "get_tier", principal, community_id) as conn:
        return TierOut.render(await _tier(conn, tier_id))


async def update_tier(svc: Services, principal: Principal, community_id: UUID, tier_id: UUID,
                      body: TierUpdateIn) -> TierOut:
    try:
        async with _in_community(svc, "update_tier", principal, community_id, manage=True) as conn:
            await _tier(conn, tier_id, lock=True)
            await billing.update_tier(conn, tier_id, _values(body, exclude_unset=True))
            return TierOut.render(await _tier(conn, tier_id))
    except billing.TierNameTaken:
        raise conflict("the community has a tier of that name, or that Stripe price is used", field="name") from None


async def delete_tier(svc: Services, principal: Principal, community_id: UUID, tier_id: UUID) -> None:
    """Members on it keep their subscription; their tier becomes none."""
    async with _in_community(svc, "delete_tier", principal, community_id, manage=True) as conn:
        await _tier(conn, tier_id, lock=True)
        await billing.delete_tier(conn, tier_id)


async def _my_membership(conn: asyncpg.Connection, principal: Principal) -> asyncpg.Record:
    member = await billing.member_billing(conn, user_id=principal.user_id)
    if member is None or member["status"] != "active":
        raise forbidden("only active members of the community have a tier in it")
    return member


async def my_billing(svc: Services, principal: Principal, community_id: UUID) -> MemberBillingOut:
    async with _in_community(svc, "my_billing", principal, community_id) as conn:
        return MemberBillingOut.render(await _my_membership(conn, principal))


async def choose_tier(svc: Services, principal: Principal, community_id: UUID,
                      body: TierChoiceIn) -> MemberBillingOut:
    """Pick a tier (or none). The tier's row is locked while its members are counted, so pickers of one tier
    take turns and its cap holds however many pick at once."""
    async with _in_community(svc, "choose_tier", principal, community_id) as conn:
        member = await _my_membership(conn, principal)
        if body.tier_id is not None and body.tier_id != member["subscription_tier_id"]:
            tier = await billing.tier(conn, body.tier_id, lock=True)
            if tier is None:
                raise invalid({"tierId": "no such tier in this community"})
            if not tier["is_active"]:
                raise conflict("this tier is not offered any more")
            if tier["max_members"] is not None and await billing.members_on_tier(conn, tier["id"]) >= tier["max_members"]:
                raise conflict("this tier is full", maxMembers=tier["max_members"])
        await billing.set_member_tier(conn, member["id"], body.tier_id)
        return MemberBillingOut.render(await _my_membership(conn, principal))


async def list_subscriptions(svc: Services, principal: Principal, community_id: UUID,
                             query: SubscriptionQuery) -> SubscriptionPage:
    async with _in_community(svc, "list_subscriptions", principal, community_id, manage=True) as conn:
        window = await fetch_page(query, lambda after, limit: billing.list_subscriptions(
            conn, status=query.status, after=after, limit=limit))
    return SubscriptionPage.of(window, SubscriptionOut.from_row)


async def list_payments(svc: Services, principal: Principal, community_id: UUID, query: PaymentQuery) -> PaymentPage:
    async with _in_community(svc, "list_payments", principal, community_id, manage=True) as conn:
        window = await fetch_page(query, lambda after, limit: billing.list_payments(
            conn, status=query.status, member_id=query.member_id, after=after, limit=limit))
    return PaymentPage.of(window, PaymentOut.render)
