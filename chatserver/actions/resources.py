"""The generic actions behind every plain resource: list, get, create, update, delete.

Each one applies the resource's policy (which rows the caller sees; whether they may
create or change one), writes in one named transaction, and turns constraint
violations into the contract's codes: a unique key into `conflict`, a missing
reference or a broken CHECK into `invalid` naming the field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from pydantic.alias_generators import to_camel

from chatserver.actions.context import Principal, Services
from chatserver.actions.policies import Policy
from chatserver.db.tenancy import scope
from chatserver.errors import ApiError, conflict, invalid, not_found
from chatserver.schemas.pagination import PageQuery, by_columns, fetch_page
from chatserver.store import generic
from chatserver.store.generic import Table

# Called inside the write transaction; may adjust `values` or raise an ApiError.
CreateHook = Callable[[asyncpg.Connection, Principal, dict[str, Any]], Awaitable[None]]
UpdateHook = Callable[[asyncpg.Connection, Principal, Mapping[str, Any], dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Rules:
    """Everything the generic actions need to know about one resource."""

    name: str                   # "job application", for messages
    table: Table
    policy: Policy
    on_create: CreateHook | None = None
    on_update: UpdateHook | None = None
    constraint_fields: Mapping[str, str] = field(default_factory=dict)  # constraint -> the column it is about

    @classmethod
    def of_table(cls, name: str, table: str, columns: tuple[str, ...], *, key: str, order: str,
                 search: tuple[str, ...], touch: str | None, **rules: Any) -> Rules:
        """The rules of a resource kept in `table`, of which the API shows `columns`."""
        return cls(name=name, table=Table(table, columns, key=key, order=order, search=search, touch=touch), **rules)


def _field_of(error: generic.ConstraintError, rules: Rules) -> str:
    """The wire name of the column a constraint is about, when its declaration or its name tells."""
    table = rules.table
    if error.constraint in rules.constraint_fields:
        return to_camel(rules.constraint_fields[error.constraint])
    name = error.column or error.constraint
    for prefix in (table.name + "_",):
        name = name.removeprefix(prefix)
    for suffix in ("_fkey", "_check", "_key"):
        name = name.removesuffix(suffix)
    return to_camel(name) if name in table.columns else (error.constraint or "body")


def constraint_error(error: generic.ConstraintError, rules: Rules) -> ApiError:
    if isinstance(error, generic.DuplicateRow):
        return conflict(f"this {rules.name} exists already", constraint=error.constraint)
    field_name = _field_of(error, rules)
    if isinstance(error, generic.MissingReference):
        return invalid({field_name: "refers to something that does not exist"})
    return invalid({field_name: f"breaks the rule {error.constraint or 'not null'}"})


@asynccontextmanager
async def _opened(svc: Services, principal: Principal, rules: Rules,
                  work: str | None) -> AsyncIterator[asyncpg.Connection]:
    """A transaction for `work` (None: a read), with the caller set on it where the policy reads community
    members (row-level security, sql/035); a read that needs neither takes a plain connection."""
    if work is None and not rules.policy.reads_members:
        async with svc.db.connection() as conn:
            yield conn
        return
    async with svc.db.transaction(f"{work or 'read'}_{rules.table.name}") as conn:
        if rules.policy.reads_members:
            await scope(conn, user_id=principal.user_id)
        yield conn


async def list_rows(svc: Services, principal: Principal, rules: Rules, query: PageQuery, *,
                    filters: Mapping[str, Any], search: str | None) -> tuple[Sequence, str | None]:
    async with _opened(svc, principal, rules, None) as conn:
        return await fetch_page(query, lambda after, limit: generic.list_rows(
            conn, rules.table, rules.policy.scope(principal), principal.user_id, filters=filters, search=search,
            after=after, limit=limit), by_columns(rules.table.order, rules.table.key))


async def get_row(svc: Services, principal: Principal, rules: Rules, key: Any) -> asyncpg.Record:
    async with _opened(svc, principal, rules, None) as conn:
        row = await generic.get_row(conn, rules.table, rules.policy.scope(principal), principal.user_id, key)
    if row is None:
        raise not_found(rules.name)
    return row


async def create_row(svc: Services, principal: Principal, rules: Rules, values: Mapping[str, Any]) -> asyncpg.Record:
    values = {**values, **rules.policy.owned_values(principal)}
    try:
        async with _opened(svc, principal, rules, "create") as conn:
            await rules.policy.check_create(conn, principal, values)
            if rules.on_create is not None:
                await rules.on_create(conn, principal, values)
            return await generic.insert_row(conn, rules.table, values)
    except generic.ConstraintError as error:
        raise constraint_error(error, rules) from None


async def _row_to_change(conn: asyncpg.Connection, principal: Principal, rules: Rules, key: Any,
                         op: str) -> asyncpg.Record:
    """The row, locked until the commit, if the caller sees it and may `op` it."""
    row = await generic.get_row(conn, rules.table, rules.policy.scope(principal), principal.user_id, key, lock=True)
    if row is None:
        raise not_found(rules.name)
    await rules.policy.check_change(conn, principal, row, op)
    return row


async def update_row(svc: Services, principal: Principal, rules: Rules, key: Any,
                     values: Mapping[str, Any]) -> asyncpg.Record:
    values = dict(values)
    try:
        async with _opened(svc, principal, rules, "update") as conn:
            row = await _row_to_change(conn, principal, rules, key, "update")
            if rules.on_update is not None:
                await rules.on_update(conn, principal, row, values)
            if not values:
                return row
            return await generic.update_row(conn, rules.table, key, values)
    except generic.ConstraintError as error:
        raise constraint_error(error, rules) from None


async def delete_row(svc: Services, principal: Principal, rules: Rules, key: Any) -> None:
    try:
        async with _opened(svc, principal, rules, "delete") as conn:
            await _row_to_change(conn, principal, rules, key, "delete")
            await generic.delete_row(conn, rules.table, key)
    except generic.ConstraintError as error:
        raise constraint_error(error, rules) from None
