"""Analytics events (036): a table partitioned by month under row-level security. Reads and writes
run in a transaction scoped to the community (chatserver/db/tenancy.py); the partitions are made,
and old events purged across communities, by SECURITY DEFINER functions of the migration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

EVENT_FIELDS = ("event_type", "event_name", "user_id", "discord_user_id", "properties", "occurred_at",
                "session_id", "ip_address", "user_agent")
_EVENT = """SELECT id, community_id, event_type, event_name, user_id, discord_user_id, properties, occurred_at,
                   session_id, host(ip_address) AS ip_address, user_agent, created_at
              FROM analytics_events"""


async def insert(conn: asyncpg.Connection, community_id: UUID, values: Mapping[str, Any]) -> asyncpg.Record:
    columns = [name for name in EVENT_FIELDS if values.get(name) is not None]
    p = Params(community_id)
    placeholders = ", ".join(p(values[name]) for name in columns)
    return await conn.fetchrow(
        f"INSERT INTO analytics_events (community_id, {', '.join(columns)}) VALUES ($1, {placeholders})"
        " RETURNING id, community_id, event_type, event_name, user_id, discord_user_id, properties, occurred_at,"
        " session_id, host(ip_address) AS ip_address, user_agent, created_at", *p.values)


async def counts(conn: asyncpg.Connection, community_id: UUID, start: datetime, end: datetime,
                 event_types: Sequence[str] | None) -> list[asyncpg.Record]:
    """Events per UTC day and type in [start, end), oldest day first."""
    p = Params(community_id, start, end)
    conditions = where("community_id = $1", "occurred_at >= $2", "occurred_at < $3",
                       p.when(list(event_types) if event_types else None, "event_type = ANY ({}::text[])"))
    return await conn.fetch(
        f"""SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, event_type, count(*) AS count
              FROM analytics_events WHERE {conditions}
             GROUP BY 1, 2 ORDER BY 1, 2""", *p.values)


async def create_partitions(conn: asyncpg.Connection, months_ahead: int) -> int:
    """Partitions for this UTC month and the next `months_ahead`; how many were missing."""
    return await conn.fetchval("SELECT chat_create_analytics_partitions($1)", months_ahead)


async def purge(conn: asyncpg.Connection, cutoff: datetime, criteria: Mapping[str, Sequence[str]],
                batch: int) -> int:
    """Delete up to `batch` events of every community older than `cutoff` (of these event types and
    names, when given); how many."""
    return await conn.fetchval("SELECT chat_purge_analytics_events($1, $2, $3, $4)", cutoff,
                               criteria.get("event_type"), criteria.get("event_name"), batch)
