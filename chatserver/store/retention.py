"""Data retention policies (036) and the deletes they drive.

RETENTION_TABLES is the allow-list: the only tables a policy may name, each with the column its age
is read from and the columns its criteria may filter on. Table and column names in SQL come from
this list only, never from a stored policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store import analytics
from chatserver.store.params import Params, where


@dataclass(frozen=True)
class RetainedTable:
    age_column: str
    criteria: frozenset[str]  # text columns a policy's deletion_criteria may restrict the delete to


RETENTION_TABLES: dict[str, RetainedTable] = {
    # a tenant table under row-level security: purged across communities by a SECURITY DEFINER function (036)
    "analytics_events": RetainedTable("occurred_at", frozenset({"event_type", "event_name"})),
    "user_activity_logs": RetainedTable("created_at", frozenset({"action_type", "action_category"})),
    "page_views": RetainedTable("created_at", frozenset({"page_path"})),
    "feature_usage": RetainedTable("created_at", frozenset({"feature_name", "action"})),
    "notifications": RetainedTable("created_at", frozenset({"type"})),
}
POLICY_FIELDS = frozenset({"table_name", "retention_days", "deletion_criteria"})


async def insert(conn: asyncpg.Connection, values: Mapping[str, Any]) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO data_retention_policies (table_name, retention_days, deletion_criteria)"
        " VALUES ($1, $2, $3) RETURNING *", values["table_name"], values["retention_days"],
        values["deletion_criteria"])


async def policy(conn: asyncpg.Connection, policy_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM data_retention_policies WHERE id = $1"
                               + (" FOR UPDATE" if lock else ""), policy_id)


async def update(conn: asyncpg.Connection, policy_id: UUID, changes: Mapping[str, Any]) -> asyncpg.Record | None:
    p = Params(policy_id)
    assignments = p.assignments(changes, POLICY_FIELDS)
    return await conn.fetchrow(
        f"UPDATE data_retention_policies SET {assignments + ', ' if assignments else ''}updated_at = now()"
        " WHERE id = $1 RETURNING *", *p.values)


async def delete(conn: asyncpg.Connection, policy_id: UUID) -> bool:
    return await conn.fetchval("DELETE FROM data_retention_policies WHERE id = $1 RETURNING true",
                               policy_id) is not None


async def page(conn: asyncpg.Connection, after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    p = Params()
    conditions = where(p.after("created_at", "id", after))
    return await conn.fetch(f"SELECT * FROM data_retention_policies WHERE {conditions}"
                            f" ORDER BY created_at DESC, id DESC LIMIT {p(limit)}", *p.values)


async def all_policies(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM data_retention_policies ORDER BY created_at, id")


async def delete_batch(conn: asyncpg.Connection, table_name: str, cutoff: datetime,
                       criteria: Mapping[str, Sequence[str]], batch: int) -> int:
    """Delete up to `batch` rows of an allow-listed table older than `cutoff` and matching `criteria`
    (column -> accepted values, columns of the table's allow-list only); how many."""
    table = RETENTION_TABLES[table_name]
    assert set(criteria) <= table.criteria, criteria
    if table_name == "analytics_events":
        return await analytics.purge(conn, cutoff, criteria, batch)
    p = Params(cutoff)
    conditions = where(f"{table.age_column} < $1",
                       *(f"{column}::text = ANY ({p(list(values))}::text[])" for column, values in criteria.items()))
    result = await conn.execute(
        f"DELETE FROM {table_name} WHERE ctid = ANY (ARRAY(SELECT ctid FROM {table_name}"
        f" WHERE {conditions} LIMIT {p(batch)}))", *p.values)
    return int(result.split()[-1])


async def record_cleanup(conn: asyncpg.Connection, policy_id: UUID) -> None:
    await conn.execute("UPDATE data_retention_policies SET last_cleanup = now() WHERE id = $1", policy_id)
