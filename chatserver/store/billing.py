"""Subscription tiers, subscriptions, payments and Stripe's events. Every query here runs in a transaction
scoped to one community (chatserver/db/tenancy.py): row-level security keeps the others out of sight, and
the queries name the scoped community too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

TIER_FIELDS = frozenset({"name", "description", "price", "currency", "interval", "stripe_price_id", "features",
                         "discord_role_id", "max_members", "is_active", "sort_order"})
_TIER = """t.*, (SELECT count(*) FROM community_members m WHERE m.subscription_tier_id = t.id)::int AS member_count"""
_MEMBER_BILLING = """m.id, m.community_id, m.user_id, m.status, m.subscription_tier_id, t.name AS tier_name,
    m.subscription_status, m.subscription_expires_at, m.total_spent"""
_SUBSCRIPTION = "s.*, m.user_id"
# Said in the queries as well as by the policies: the same answer from a role that bypasses row-level security.
_SCOPED = "t.community_id = chat_current_community()"


class TierNameTaken(Exception):
    pass


async def insert_tier(conn: asyncpg.Connection, community_id: UUID, values: Mapping[str, Any]) -> UUID:
    columns = [name for name in values if name in TIER_FIELDS]
    p = Params(community_id)
    placeholders = "".join(", " + p(values[c]) for c in columns)
    try:
        return await conn.fetchval(
            f"INSERT INTO subscription_tiers (community_id{''.join(', ' + c for c in columns)})"
            f" VALUES ($1{placeholders}) RETURNING id", *p.values)
    except asyncpg.UniqueViolationError:
        raise TierNameTaken from None


async def tier(conn: asyncpg.Connection, tier_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_TIER} FROM subscription_tiers t WHERE t.id = $1 AND {_SCOPED}"
                               + (" FOR UPDATE OF t" if lock else ""), tier_id)


async def list_tiers(conn: asyncpg.Connection, *, active: bool | None, after: tuple[int, UUID] | None,
                     limit: int) -> list[asyncpg.Record]:
    """The scoped community's tiers, by sort order."""
    p = Params()
    conditions = where(_SCOPED, p.when(active, "t.is_active = {}"),
                       p.after("t.sort_order", "t.id", after, ascending=True))
    return await conn.fetch(f"SELECT {_TIER} FROM subscription_tiers t WHERE {conditions}"
                            f" ORDER BY t.sort_order, t.id LIMIT {p(limit)}", *p.values)


async def update_tier(conn: asyncpg.Connection, tier_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(tier_id)
    if not (assignments := p.assignments(changes, TIER_FIELDS)):
        return
    try:
        await conn.execute(f"UPDATE subscription_tiers SET {assignments}, updated_at = now() WHERE id = $1", *p.values)
    except asyncpg.UniqueViolationError:
        raise TierNameTaken from None


async def delete_tier(conn: asyncpg.Connection, tier_id: UUID) -> None:
    await conn.execute("DELETE FROM subscription_tiers WHERE id = $1", tier_id)


async def members_on_tier(conn: asyncpg.Connection, tier_id: UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM community_members WHERE subscription_tier_id = $1", tier_id)


async def member_billing(conn: asyncpg.Connection, *, member_id: UUID | None = None,
                         user_id: UUID | None = None) -> asyncpg.Record | None:
    """A member of the scoped community, by membership id or by user."""
    p = Params()
    condition = where(p.when(member_id, "m.id = {}"), p.when(user_id, "m.user_id = {}"),
                      "m.community_id = chat_current_community()")
    return await conn.fetchrow(
        f"SELECT {_MEMBER_BILLING} FROM community_members m LEFT JOIN subscription_tiers t"
        f" ON t.id = m.subscription_tier_id WHERE {condition}", *p.values)


async def set_member_tier(conn: asyncpg.Connection, member_id: UUID, tier_id: UUID | None) -> None:
    await conn.execute("UPDATE community_members SET subscription_tier_id = $2, updated_at = now() WHERE id = $1",
                       member_id, tier_id)


async def list_subscriptions(conn: asyncpg.Connection, *, status: str | None,
                             after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params()
    conditions = where("s.community_id = chat_current_community()", p.when(status, "s.status = {}"),
                       p.after("s.created_at", "s.id", after))
    return await conn.fetch(
        f"SELECT {_SUBSCRIPTION} FROM subscriptions s JOIN community_members m ON m.id = s.member_id"
        f" WHERE {conditions} ORDER BY s.created_at DESC, s.id DESC LIMIT {p(limit)}", *p.values)


async def list_payments(conn: asyncpg.Connection, *, status: str | None, member_id: UUID | None,
                        after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params()
    conditions = where("community_id = chat_current_community()", p.when(status, "status = {}"),
                       p.when(member_id, "member_id = {}"), p.after("created_at", "id", after))
    return await conn.fetch(f"SELECT * FROM payments WHERE {conditions}"
                            f" ORDER BY created_at DESC, id DESC LIMIT {p(limit)}", *p.values)


# Stripe's events

async def record_event(conn: asyncpg.Connection, event_id: str, event_type: str, created: datetime) -> bool:
    """Whether this is the first time the event arrives. A concurrent delivery of the same id waits on the
    key until the first one's transaction ends, then finds it."""
    return await conn.fetchval(
        "INSERT INTO stripe_webhook_events (id, type, created) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO NOTHING RETURNING true", event_id, event_type, created) is not None


async def settle_event(conn: asyncpg.Connection, event_id: str, outcome: str, *, community_id: UUID | None = None,
                       reason: str | None = None) -> None:
    await conn.execute("UPDATE stripe_webhook_events SET outcome = $2, community_id = $3, reason = $4 WHERE id = $1",
                       event_id, outcome, community_id, reason)


async def community_exists(conn: asyncpg.Connection, community_id: UUID) -> bool:
    return await conn.fetchval("SELECT true FROM communities WHERE id = $1", community_id) is not None


async def upsert_subscription(conn: asyncpg.Connection, values: Mapping[str, Any]) -> asyncpg.Record | None:
    """Apply a subscription's state as of `last_event_at`; None when a newer event was applied already,
    or the subscription was deleted (canceled is final at Stripe)."""
    columns = list(values)
    p = Params()
    placeholders = ", ".join(p(values[c]) for c in columns)
    changes = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in ("stripe_subscription_id",))
    return await conn.fetchrow(
        f"INSERT INTO subscriptions ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT (stripe_subscription_id) DO UPDATE SET {changes}, updated_at = now()"
        f" WHERE subscriptions.last_event_at <= EXCLUDED.last_event_at AND subscriptions.status <> 'canceled'"
        f"   AND subscriptions.community_id = EXCLUDED.community_id"
        f" RETURNING id, member_id, tier_id, status, current_period_end", *p.values)


async def mirror_on_member(conn: asyncpg.Connection, member_id: UUID, *, status: str, tier_id: UUID | None,
                           expires_at: datetime | None) -> None:
    await conn.execute(
        "UPDATE community_members SET subscription_status = $2, subscription_tier_id = $3,"
        " subscription_expires_at = $4, updated_at = now() WHERE id = $1", member_id, status, tier_id, expires_at)


async def subscription_id(conn: asyncpg.Connection, stripe_subscription_id: str | None) -> UUID | None:
    if stripe_subscription_id is None:
        return None
    return await conn.fetchval("SELECT id FROM subscriptions WHERE stripe_subscription_id = $1",
                               stripe_subscription_id)


async def payment_exists(conn: asyncpg.Connection, stripe_invoice_id: str) -> bool:
    return await conn.fetchval("SELECT true FROM payments WHERE stripe_invoice_id = $1", stripe_invoice_id) is not None


async def record_paid_invoice(conn: asyncpg.Connection, values: Mapping[str, Any]) -> bool:
    """Whether the invoice is paid by this call (a first delivery, or a retry that succeeded after a failure):
    only then does it count towards the member's total."""
    return await _upsert_payment(conn, {**values, "status": "succeeded"}, "payments.status <> 'succeeded'")


async def record_failed_invoice(conn: asyncpg.Connection, values: Mapping[str, Any]) -> bool:
    """A failed attempt never undoes a payment: once succeeded, an invoice stays so."""
    return await _upsert_payment(conn, {**values, "status": "failed"}, "payments.status = 'failed'")


async def _upsert_payment(conn: asyncpg.Connection, values: Mapping[str, Any], replaces: str) -> bool:
    columns = list(values)
    p = Params()
    placeholders = ", ".join(p(values[c]) for c in columns)
    changes = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "stripe_invoice_id")
    return await conn.fetchval(
        f"INSERT INTO payments ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT (stripe_invoice_id) DO UPDATE SET {changes}, updated_at = now()"
        f" WHERE {replaces} AND payments.community_id = EXCLUDED.community_id RETURNING true",
        *p.values) is not None


async def add_to_total_spent(conn: asyncpg.Connection, member_id: UUID, paid: Decimal) -> None:
    await conn.execute("UPDATE community_members SET total_spent = total_spent + $2, updated_at = now()"
                       " WHERE id = $1", member_id, paid)
