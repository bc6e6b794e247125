"""CommunityOS billing on the wire: subscription tiers, members' subscriptions, payments, Stripe's events."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.communities import DiscordId
from chatserver.schemas.fields import Currency, money, text, unchanged
from chatserver.schemas.pagination import Page, PageQuery

Price = money(10)  # subscription_tiers.price is numeric(10, 2)
Interval = Literal["monthly", "yearly"]
Feature = text(200, 1)
Features = Annotated[list[Feature], Field(max_length=50)]
# Stripe's subscription statuses, and `none` for a member who never subscribed.
SubscriptionStatus = Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
                             "unpaid", "paused"]
MemberSubscriptionStatus = Literal["none", "incomplete", "incomplete_expired", "trialing", "active", "past_due",
                                   "canceled", "unpaid", "paused"]


def amount(value: Decimal | None) -> str | None:
    """A stored amount as the wire writes it."""
    return None if value is None else f"{value:.2f}"


class TierIn(InputModel):
    name: text(100, 1)
    description: text(2000) | None = None
    price: Price
    currency: Currency = "USD"
    interval: Interval
    stripe_price_id: text(100, 1) | None = Field(None, description="The Stripe Price this tier is sold as.")
    features: Features = Field(default_factory=list, description="What the tier gives, one line each.")
    discord_role_id: DiscordId | None = Field(None, description="The Discord role its members get.")
    max_members: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="At most this many members may pick the tier; null for no cap.")
    is_active: bool = Field(True, description="Inactive tiers cannot be picked.")
    sort_order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = Field(0, description="Lists go by it, "
                                                                                          "smallest first.")


class TierUpdateIn(InputModel):
    name: text(100, 1) = unchanged()
    description: text(2000) | None = None
    price: Price = unchanged()
    currency: Currency = unchanged()
    interval: Interval = unchanged()
    stripe_price_id: text(100, 1) | None = None
    features: Features = unchanged()
    discord_role_id: DiscordId | None = None
    max_members: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        None, description="Lowering it below the members who picked the tier keeps them; new ones wait for room.")
    is_active: bool = unchanged()
    sort_order: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] = unchanged()


class TierOut(WireModel):
    id: UUID
    community_id: UUID
    name: str
    description: str | None
    price: str
    currency: str
    interval: Interval
    stripe_price_id: str | None
    features: list[str]
    discord_role_id: str | None
    max_members: int | None
    member_count: int = Field(description="Members who picked the tier.")
    is_active: bool
    sort_order: int
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> TierOut:
        return cls.from_row(row, price=amount(row["price"]))


class TierPage(Page[TierOut]):
    pass


class TierQuery(PageQuery.sorted_by(int, UUID)):
    """By sortOrder, smallest first."""

    active: bool | None = Field(None, description="Only active (true) or inactive (false) tiers.")


class TierChoiceIn(InputModel):
    tier_id: UUID | None = Field(description="The tier to pick; null to leave your tier.")


class MemberBillingOut(WireModel):
    """A member's standing: their tier and subscription as the Stripe webhook last reported them."""

    community_id: UUID
    user_id: UUID
    tier_id: UUID | None
    tier_name: str | None
    subscription_status: MemberSubscriptionStatus
    subscription_expires_at: Timestamp | None
    total_spent: str = Field(description="The sum of the member's paid invoices.")

    @classmethod
    def render(cls, row: Any) -> MemberBillingOut:
        return cls.from_row(row, tier_id=row["subscription_tier_id"], total_spent=amount(row["total_spent"]))


class SubscriptionOut(WireModel):
    id: UUID
    community_id: UUID
    member_id: UUID
    user_id: UUID
    tier_id: UUID | None
    tier_name: str | None
    stripe_subscription_id: str
    stripe_customer_id: str | None
    status: SubscriptionStatus
    current_period_start: Timestamp | None
    current_period_end: Timestamp | None
    cancel_at_period_end: bool
    canceled_at: Timestamp | None
    trial_start: Timestamp | None
    trial_end: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class SubscriptionPage(Page[SubscriptionOut]):
    pass


class SubscriptionQuery(PageQuery):
    status: SubscriptionStatus | None = None


class PaymentOut(WireModel):
    id: UUID
    community_id: UUID
    member_id: UUID | None = Field(description="Null once the member's account was erased (kept for the books).")
    subscription_id: UUID | None
    stripe_invoice_id: str
    stripe_payment_intent_id: str | None
    amount: str
    currency: str
    status: Literal["succeeded", "failed"]
    description: str | None
    processed_at: Timestamp | None
    created_at: Timestamp

    @classmethod
    def render(cls, row: Any) -> PaymentOut:
        return cls.from_row(row, amount=amount(row["amount"]))


class PaymentPage(Page[PaymentOut]):
    pass


class PaymentQuery(PageQuery):
    status: Literal["succeeded", "failed"] | None = None
    member_id: UUID | None = None


class StripeEventIn(InputModel):
    """A Stripe event (https://docs.stripe.com/api/events/object), sent by Stripe with a `Stripe-Signature`
    header. The community, member and tier it is about are read from `data.object.metadata`:
    `community_id`, `member_id` (the membership's id) and `tier_id`."""

    model_config = InputModel.model_config | {"extra": "allow"}

    id: text(255, 1)
    type: text(100, 1)
    created: int = Field(ge=0, le=253402300799, description="Unix time the event happened at.")
    data: dict[str, Any] = Field(description="`{\"object\": ...}`: the subscription or invoice.")


class StripeReceiptOut(WireModel):
    received: bool = True
    outcome: Literal["applied", "ignored", "stale", "duplicate"] = Field(
        description="`applied`; `ignored` (an event type not handled, or an unknown community, member or tier); "
                    "`stale` (older than what was applied already); `duplicate` (this event id was received before).")
