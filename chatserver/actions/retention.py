"""Data retention policies: platform admins say how long rows of a table are kept; the worker deletes
older ones, in batches, from the tables on the allow-list (store/retention.RETENTION_TABLES) only."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import forbidden, invalid, not_found
from chatserver.schemas.pagination import PageQuery, fetch_page
from chatserver.schemas.retention import (
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionPolicyPage,
    RetentionPolicyUpdateIn,
)
from chatserver.store import retention as store

log = logging.getLogger(__name__)

RETENTION_BATCH = 1000  # rows deleted per transaction


def _platform_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise forbidden("only platform admins manage retention policies")


def _refusal(table_name: str, criteria: dict[str, Any]) -> dict[str, str] | None:
    """Why a policy cannot be applied (wire field -> reason); None when it can."""
    table = store.RETENTION_TABLES.get(table_name)
    if table is None:
        return {"tableName": "not on the retention allow-list: " + ", ".join(sorted(store.RETENTION_TABLES))}
    if unknown := sorted(set(criteria) - table.criteria):
        return {"deletionCriteria": f"{table_name} is filtered only by " + ", ".join(sorted(table.criteria))
                                    + "; not by " + ", ".join(unknown)}
    return None


async def create_policy(svc: Services, principal: Principal, body: RetentionPolicyIn) -> RetentionPolicyOut:
    _platform_admin(principal)
    values = body.model_dump()
    if refusal := _refusal(body.table_name, values["deletion_criteria"]):
        raise invalid(refusal)
    async with svc.db.transaction("create_retention_policy") as conn:
        return RetentionPolicyOut.from_row(await store.insert(conn, values))


async def list_policies(svc: Services, principal: Principal, query: PageQuery) -> RetentionPolicyPage:
    _platform_admin(principal)
    async with svc.db.connection() as conn:
        window = await fetch_page(query, lambda after, limit: store.page(conn, after, limit))
    return RetentionPolicyPage.of(window, RetentionPolicyOut.from_row)


async def get_policy(svc: Services, principal: Principal, policy_id: UUID) -> RetentionPolicyOut:
    _platform_admin(principal)
    async with svc.db.connection() as conn:
        row = await store.policy(conn, policy_id)
    if row is None:
        raise not_found("retention policy")
    return RetentionPolicyOut.from_row(row)


async def update_policy(svc: Services, principal: Principal, policy_id: UUID,
                        body: RetentionPolicyUpdateIn) -> RetentionPolicyOut:
    _platform_admin(principal)
    changes = body.model_dump(exclude_unset=True)
    async with svc.db.transaction("update_retention_policy") as conn:
        row = await store.policy(conn, policy_id, lock=True)
        if row is None:
            raise not_found("retention policy")
        if refusal := _refusal(row["table_name"], changes.get("deletion_criteria", row["deletion_criteria"])):
            raise invalid(refusal)
        return RetentionPolicyOut.from_row(await store.update(conn, policy_id, changes))


async def delete_policy(svc: Services, principal: Principal, policy_id: UUID) -> None:
    _platform_admin(principal)
    async with svc.db.transaction("delete_retention_policy") as conn:
        if not await store.delete(conn, policy_id):
            raise not_found("retention policy")


async def _apply(svc: Services, policy: asyncpg.Record, batch_size: int) -> int:
    cutoff = datetime.now(UTC) - timedelta(days=policy["retention_days"])
    deleted = 0
    while True:
        async with svc.db.transaction("apply_retention_policy") as conn:
            count = await store.delete_batch(conn, policy["table_name"], cutoff, policy["deletion_criteria"],
                                             batch_size)
            if count < batch_size:
                await store.record_cleanup(conn, policy["id"])
        deleted += count
        if count < batch_size:
            return deleted


async def apply_policies(svc: Services, batch_size: int = RETENTION_BATCH) -> None:
    """The periodic task: every policy whose table is on the allow-list, applied in batches of
    `batch_size` rows a transaction, its `last_cleanup` set when none of its rows is left. A policy
    naming anything else (written into the table by hand) is refused, and says so. Idempotent."""
    async with svc.db.connection() as conn:
        policies = await store.all_policies(conn)
    for policy in policies:
        if refusal := _refusal(policy["table_name"], policy["deletion_criteria"]):
            log.warning("retention policy refused: %s", "; ".join(refusal.values()),
                        extra={"policy_id": str(policy["id"]), "table_name": policy["table_name"]})
            continue
        deleted = await _apply(svc, policy, batch_size)
        if deleted:
            log.info("retention policy applied", extra={"policy_id": str(policy["id"]),
                                                        "table_name": policy["table_name"], "rows_deleted": deleted})
