"""SmileFactory marketplace listings and transactions (030).

A listing past its `expires_at` reads as `expired` at once (`_STATUS`); the periodic task
writes that status down and cancels what was still open on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

LISTING_FIELDS = frozenset({
    "title", "description", "category", "listing_type", "price", "currency", "negotiable", "location", "tags",
    "images", "contact_method", "expires_at",
})
OPEN = ("initiated", "negotiating", "agreed")  # transactions not yet completed or cancelled

# The status a listing has now: one past its expiry is expired even before the task has run.
_STATUS = "CASE WHEN l.status = 'active' AND l.expires_at <= now() THEN 'expired' ELSE l.status END"
# $1 is the viewer: a removed listing is seen only by its seller.
_VISIBLE = "(l.status <> 'removed' OR l.seller_id = $1)"
_LISTING = f"""SELECT l.id, l.seller_id, u.username AS seller_username, l.title, l.description, l.category,
                      l.listing_type, l.price, l.currency, l.negotiable, {_STATUS} AS status, l.location, l.tags,
                      l.images, l.contact_method, l.view_count, l.expires_at, l.created_at, l.updated_at,
                      l.seller_id = $1 AS is_mine
                 FROM marketplace_listings l JOIN users u ON u.id = l.seller_id"""
_TRANSACTION = """SELECT t.id, t.listing_id, l.title AS listing_title, t.seller_id, t.buyer_id, t.amount,
                         t.agreed_amount, t.currency, t.status, t.message, t.completed_at, t.created_at, t.updated_at
                    FROM marketplace_transactions t JOIN marketplace_listings l ON l.id = t.listing_id"""
_PARTY = "(t.buyer_id = $1 OR t.seller_id = $1)"


class AlreadyOpen(Exception):
    """The buyer already has an open transaction on this listing."""


# Listings.

async def insert_listing(conn: asyncpg.Connection, seller_id: UUID, values: Mapping[str, Any]) -> UUID:
    columns = [name for name in values if name in LISTING_FIELDS]
    placeholders = ", ".join(f"${i}" for i in range(2, len(columns) + 2))
    return await conn.fetchval(
        f"INSERT INTO marketplace_listings (seller_id, {', '.join(columns)}) VALUES ($1, {placeholders})"
        " RETURNING id", seller_id, *(values[name] for name in columns))


async def listing(conn: asyncpg.Connection, listing_id: UUID, viewer_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_LISTING} WHERE l.id = $2 AND {_VISIBLE}", viewer_id, listing_id)


async def count_view(conn: asyncpg.Connection, listing_id: UUID, viewer_id: UUID) -> None:
    """One more view, unless the viewer is the seller (or the listing is removed). One statement, so
    concurrent views each add one."""
    await conn.execute("UPDATE marketplace_listings SET view_count = view_count + 1"
                       " WHERE id = $1 AND seller_id <> $2 AND status <> 'removed'", listing_id, viewer_id)


async def lock_listing(conn: asyncpg.Connection, listing_id: UUID, *, exclusive: bool) -> asyncpg.Record | None:
    """The listing with its current status, locked until the transaction ends: shared by what needs it
    to stay as it is (a new or advancing transaction), exclusive by what changes it (a sale, an edit,
    a removal, the expiry), so a sale and an offer never pass each other."""
    mode = "UPDATE" if exclusive else "SHARE"
    return await conn.fetchrow(f"SELECT l.*, {_STATUS} AS current_status FROM marketplace_listings l"
                               f" WHERE l.id = $1 FOR {mode} OF l", listing_id)


async def update_listing(conn: asyncpg.Connection, listing_id: UUID, changes: Mapping[str, Any]) -> None:
    p = Params(listing_id)
    if assignments := p.assignments(changes, LISTING_FIELDS | {"status"}):
        await conn.execute(f"UPDATE marketplace_listings SET {assignments}, updated_at = now() WHERE id = $1",
                           *p.values)


async def page_listings(conn: asyncpg.Connection, viewer_id: UUID, *, equal: Mapping[str, Any],
                        status: str | None, min_price: Decimal | None, max_price: Decimal | None,
                        after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Newest first; `equal` names columns of LISTING_FIELDS or seller_id only."""
    assert all(column in LISTING_FIELDS or column == "seller_id" for column in equal), equal
    p = Params(viewer_id)
    conditions = where(_VISIBLE, *(f"l.{column} = {p(value)}" for column, value in equal.items()),
                       p.when(status, f"{_STATUS} = {{}}"), p.when(min_price, "l.price >= {}"),
                       p.when(max_price, "l.price <= {}"), p.after("l.created_at", "l.id", after))
    return await conn.fetch(f"{_LISTING} WHERE {conditions} ORDER BY l.created_at DESC, l.id DESC LIMIT {p(limit)}",
                            *p.values)


async def expire_due(conn: asyncpg.Connection, limit: int) -> list[UUID]:
    """Mark up to `limit` active listings past their expiry as expired; their ids. Rows another
    transaction holds (a sale in progress) are left for the next batch or run."""
    return [row["id"] for row in await conn.fetch(
        """UPDATE marketplace_listings SET status = 'expired', updated_at = now()
            WHERE id IN (SELECT id FROM marketplace_listings
                          WHERE status = 'active' AND expires_at <= now()
                          ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id""", limit)]


# Transactions.

async def insert_transaction(conn: asyncpg.Connection, listing: asyncpg.Record, buyer_id: UUID,
                             amount: Decimal | None, message: str | None) -> UUID:
    try:
        async with conn.transaction():  # a savepoint: the refusal is answered, not the whole write lost
            return await conn.fetchval(
                "INSERT INTO marketplace_transactions (listing_id, seller_id, buyer_id, amount, currency, message)"
                " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                listing["id"], listing["seller_id"], buyer_id, amount, listing["currency"], message)
    except asyncpg.UniqueViolationError:
        raise AlreadyOpen from None


async def transaction(conn: asyncpg.Connection, transaction_id: UUID, party_id: UUID) -> asyncpg.Record | None:
    """The transaction as one of its two parties sees it; None for anyone else."""
    return await conn.fetchrow(f"{_TRANSACTION} WHERE t.id = $2 AND {_PARTY}", party_id, transaction_id)


async def transactions(conn: asyncpg.Connection, transaction_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(f"{_TRANSACTION} WHERE t.id = ANY($1::uuid[]) ORDER BY t.created_at, t.id",
                            list(transaction_ids))


async def listing_of(conn: asyncpg.Connection, transaction_id: UUID) -> UUID | None:
    return await conn.fetchval("SELECT listing_id FROM marketplace_transactions WHERE id = $1", transaction_id)


async def lock_transaction(conn: asyncpg.Connection, transaction_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM marketplace_transactions WHERE id = $1 FOR UPDATE", transaction_id)


async def advance(conn: asyncpg.Connection, transaction_id: UUID, status: str, changes: Mapping[str, Any]) -> None:
    """Move a transaction to `status`, with its other changes (amount, agreed_amount, message)."""
    p = Params(transaction_id, status)
    assignments = p.assignments(changes, ("amount", "agreed_amount", "message"))
    await conn.execute(
        f"UPDATE marketplace_transactions SET status = $2, {assignments + ', ' if assignments else ''}"
        " completed_at = CASE WHEN $2 = 'completed' THEN now() END, updated_at = now() WHERE id = $1", *p.values)


async def cancel_open(conn: asyncpg.Connection, listing_ids: Sequence[UUID]) -> list[UUID]:
    """Cancel the open transactions on these listings (which have left `active`); their ids."""
    return [row["id"] for row in await conn.fetch(
        "UPDATE marketplace_transactions SET status = 'cancelled', updated_at = now()"
        " WHERE listing_id = ANY($1::uuid[]) AND status = ANY($2::text[]) RETURNING id",
        list(listing_ids), list(OPEN))]


async def page_transactions(conn: asyncpg.Connection, party_id: UUID, *, role: str | None, status: str | None,
                            listing_id: UUID | None, after: tuple[datetime, UUID] | None,
                            limit: int) -> list[asyncpg.Record]:
    """The party's transactions, newest first; `role` narrows to those where they buy or sell."""
    p = Params(party_id)
    side = {"buyer": "t.buyer_id = $1", "seller": "t.seller_id = $1", None: _PARTY}[role]
    conditions = where(side, p.when(status, "t.status = {}"), p.when(listing_id, "t.listing_id = {}"),
                       p.after("t.created_at", "t.id", after))
    return await conn.fetch(
        f"{_TRANSACTION} WHERE {conditions} ORDER BY t.created_at DESC, t.id DESC LIMIT {p(limit)}", *p.values)
