"""Analytics events of a community: recorded and counted by its admins and owner; the worker makes the
monthly partitions ahead of time."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.actions.tenants import enter_as_manager
from chatserver.errors import invalid
from chatserver.schemas.analytics import (
    AnalyticsCountQuery,
    AnalyticsCounts,
    AnalyticsDayCount,
    AnalyticsEventIn,
    AnalyticsEventOut,
)
from chatserver.store import analytics as store

log = logging.getLogger(__name__)

MONTHS_AHEAD = 2  # partitions exist for this month and the next two
MAX_CLOCK_SKEW = timedelta(hours=1)  # how far ahead an event's time may be


async def record_event(svc: Services, principal: Principal, community_id: UUID,
                       body: AnalyticsEventIn) -> AnalyticsEventOut:
    values = body.model_dump()
    if body.occurred_at is not None and body.occurred_at > datetime.now(UTC) + MAX_CLOCK_SKEW:
        raise invalid({"occurredAt": "must not be more than an hour ahead"})
    try:
        async with svc.db.transaction("record_analytics_event") as conn:
            await enter_as_manager(conn, principal, community_id)
            return AnalyticsEventOut.from_row(await store.insert(conn, community_id, values))
    except asyncpg.ForeignKeyViolationError:  # only the user can be missing: the community was just checked
        raise invalid({"userId": "no such user"}) from None


async def count_events(svc: Services, principal: Principal, community_id: UUID,
                       query: AnalyticsCountQuery) -> AnalyticsCounts:
    start = datetime.combine(query.start, time(), UTC)
    end = datetime.combine(query.end + timedelta(days=1), time(), UTC)
    async with svc.db.transaction("count_analytics_events") as conn:
        await enter_as_manager(conn, principal, community_id)
        rows = await store.counts(conn, community_id, start, end, [query.event_type] if query.event_type else None)
    counts = [AnalyticsDayCount.from_row(row) for row in rows]
    return AnalyticsCounts(start=query.start, end=query.end, total=sum(c.count for c in counts), counts=counts)


async def create_partitions(svc: Services) -> None:
    """The periodic task: this month's partition and the next MONTHS_AHEAD months', where missing."""
    async with svc.db.transaction("create_analytics_partitions") as conn:
        created = await store.create_partitions(conn, MONTHS_AHEAD)
    if created:
        log.info("analytics partitions created", extra={"partitions_created": created})
