"""Stripe's webhook: the only writer of subscriptions and payments, and of members' subscription columns.

Each event is recorded by its id first, in the same transaction as its effect, so a replay (or a second
delivery racing the first) changes nothing. The community, member and tier come from the object's
`metadata` (`community_id`, `member_id`, `tier_id`); the transaction is then scoped to that community,
so row-level security keeps every write inside it. Out-of-order deliveries: a subscription keeps the
`created` time of the newest event applied to it, and an older one changes nothing (`stale`); a paid
invoice stays paid whatever failure is reported after it. What cannot be applied (an unknown community,
member or tier, an event type not handled, an object that makes no sense) is recorded as `ignored` and
answered 200, since Stripe retrying it would not help.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, get_args
from uuid import UUID

import asyncpg

from chatserver.actions.context import Services
from chatserver.db.tenancy import scope
from chatserver.errors import unavailable
from chatserver.schemas.billing import StripeEventIn, StripeReceiptOut, SubscriptionStatus
from chatserver.store import billing

log = logging.getLogger(__name__)

SUBSCRIPTION_EVENTS = {"customer.subscription.created", "customer.subscription.updated",
                       "customer.subscription.deleted"}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_failed"}
_STATUSES = frozenset(get_args(SubscriptionStatus))
# Currencies Stripe counts in whole units, and in thousandths (https://docs.stripe.com/currencies).
_ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
_THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())


_ELSEWHERE = "the Stripe object belongs to another community"


class Ignored(Exception):
    """Why an event cannot be applied; it is recorded as `ignored` with this reason."""


def require_secrets(svc: Services) -> tuple[str, ...]:
    if not svc.settings.stripe_webhook_secrets:
        raise unavailable("Stripe webhooks are not configured here: set STRIPE_WEBHOOK_SECRET")
    return svc.settings.stripe_webhook_secrets


async def receive(svc: Services, event: StripeEventIn) -> StripeReceiptOut:
    """Apply a verified event once."""
    created = datetime.fromtimestamp(event.created, UTC)
    async with svc.db.transaction("stripe_event") as conn:
        if not await billing.record_event(conn, event.id, event.type, created):
            outcome, community_id, reason = "duplicate", None, None
        else:
            community_id = None
            try:
                community_id, outcome = await _apply(conn, event.type, event.data.get("object"), created)
                reason = None
            except Ignored as why:
                outcome, reason = "ignored", str(why)
            await billing.settle_event(conn, event.id, outcome, community_id=community_id, reason=reason)
    log.info("stripe event %s", outcome, extra={"event_id": event.id, "event_type": event.type,
                                                "community_id": str(community_id) if community_id else None,
                                                "reason": reason})
    return StripeReceiptOut(outcome=outcome)


async def _apply(conn: asyncpg.Connection, event_type: str, obj: Any, created: datetime) -> tuple[UUID, str]:
    if event_type not in SUBSCRIPTION_EVENTS | INVOICE_EVENTS:
        raise Ignored(f"events of type {event_type} are not handled")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise Ignored("data.object is not a Stripe object with an id")
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    community_id = _uuid(metadata, "community_id")
    if community_id is None or not await billing.community_exists(conn, community_id):
        raise Ignored("no such community (metadata.community_id)")
    await scope(conn, community_id=community_id)
    member_id = _uuid(metadata, "member_id")
    if member_id is None or await billing.member_billing(conn, member_id=member_id) is None:
        raise Ignored("no such member of the community (metadata.member_id)")
    tier_id = _uuid(metadata, "tier_id")
    tier = await billing.tier(conn, tier_id) if tier_id is not None else None
    if tier_id is not None and tier is None:
        raise Ignored("no such tier in the community (metadata.tier_id)")
    common = {"community_id": community_id, "member_id": member_id, "metadata": metadata}
    try:
        async with conn.transaction():  # a savepoint: what the database refuses leaves the event's record intact
            if event_type in SUBSCRIPTION_EVENTS:
                applied = await _subscription(conn, event_type, obj, common, tier, created)
            else:
                applied = await _invoice(conn, event_type, obj, common)
    except asyncpg.InsufficientPrivilegeError:
        # The Stripe id is already another community's: row-level security refuses to touch that row.
        raise Ignored(_ELSEWHERE) from None
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as error:
        raise Ignored(f"the object breaks a rule: {error.__class__.__name__}") from None
    return community_id, "applied" if applied else "stale"


async def _subscription(conn: asyncpg.Connection, event_type: str, obj: dict, common: dict,
                        tier: asyncpg.Record | None, created: datetime) -> bool:
    status = "canceled" if event_type == "customer.subscription.deleted" else obj.get("status")
    if status not in _STATUSES:
        raise Ignored(f"unknown subscription status {status!r}")
    period_end = _time(_period(obj, "current_period_end"))
    row = await billing.upsert_subscription(conn, {
        **common,
        "tier_id": tier["id"] if tier else None,
        "tier_name": tier["name"] if tier else None,
        "stripe_subscription_id": obj["id"],
        "stripe_customer_id": _text(obj.get("customer")),
        "status": status,
        "current_period_start": _time(_period(obj, "current_period_start")),
        "current_period_end": period_end,
        "cancel_at_period_end": obj.get("cancel_at_period_end") is True,
        "canceled_at": _time(obj.get("canceled_at")),
        "trial_start": _time(obj.get("trial_start")),
        "trial_end": _time(obj.get("trial_end")),
        "last_event_at": created,
    })
    if row is None:
        if await billing.subscription_id(conn, obj["id"]) is None:  # it exists, out of this community's sight
            raise Ignored(_ELSEWHERE)
        return False
    await billing.mirror_on_member(conn, common["member_id"], status=status, tier_id=row["tier_id"],
                                   expires_at=_time(obj.get("ended_at")) or period_end)
    return True


async def _invoice(conn: asyncpg.Connection, event_type: str, obj: dict, common: dict) -> bool:
    currency = obj.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        raise Ignored("the invoice has no currency")
    currency = currency.upper()
    paid = event_type == "invoice.paid"
    amount = _major_units(obj.get("amount_paid" if paid else "amount_due"), currency)
    transitions = obj.get("status_transitions") if isinstance(obj.get("status_transitions"), dict) else {}
    values = {
        **common,
        "subscription_id": await billing.subscription_id(conn, _text(obj.get("subscription"))),
        "stripe_invoice_id": obj["id"],
        "stripe_payment_intent_id": _text(obj.get("payment_intent")),
        "stripe_charge_id": _text(obj.get("charge")),
        "amount": amount,
        "currency": currency,
        "description": _text(obj.get("description")),
        "processed_at": (_time(transitions.get("paid_at")) if paid else None) or datetime.now(UTC),
    }
    if not paid:
        recorded = await billing.record_failed_invoice(conn, values)
    elif recorded := await billing.record_paid_invoice(conn, values):
        await billing.add_to_total_spent(conn, common["member_id"], amount)
    if not recorded and not await billing.payment_exists(conn, obj["id"]):  # it exists, out of this community's sight
        raise Ignored(_ELSEWHERE)
    return recorded


def _uuid(metadata: dict, key: str) -> UUID | None:
    try:
        return UUID(str(metadata[key]))
    except (KeyError, ValueError):
        return None


def _text(value: Any) -> str | None:
    """An id Stripe sends either as a string or expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _period(obj: dict, key: str) -> Any:
    """Older API versions keep the period on the subscription, newer ones on its items."""
    if key in obj:
        return obj[key]
    items = obj.get("items", {}).get("data") if isinstance(obj.get("items"), dict) else None
    return items[0].get(key) if isinstance(items, list) and items and isinstance(items[0], dict) else None


def _time(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**33:
        return None
    return datetime.fromtimestamp(value, UTC)


def _major_units(value: Any, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Ignored("the invoice amount is not a whole number of minor units")
    if currency in _ZERO_DECIMAL:
        return Decimal(value)
    return (Decimal(value) / (1000 if currency in _THREE_DECIMAL else 100)).quantize(Decimal("0.01"))
