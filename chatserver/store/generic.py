"""SQL for the resources the HTTP registry serves generically.

Identifiers (tables, columns) come only from `Table` and `Scope` declarations made in
code, and are checked against a strict pattern when declared; every value is a `$n`
parameter. A `Scope` says which rows a caller may see; it is rendered into the WHERE
clause, so a list, a filter or a lookup by id can never reach past it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _checked(*names: str) -> None:
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")


@dataclass(frozen=True)
class Table:
    """A table as the generic store sees it."""

    name: str
    columns: tuple[str, ...]
    key: str = "id"
    order: str = "created_at"             # pages go newest first by (order, key)
    search: tuple[str, ...] = ()          # columns of the ?q= full-text expression
    touch: str | None = None              # a column set to now() on every update

    def __post_init__(self) -> None:
        _checked(self.name, self.key, self.order, *self.columns, *self.search, *filter(None, [self.touch]))


# Scopes: which rows a caller may see. `alias` is the alias of the row being tested.

@dataclass(frozen=True)
class Everyone:
    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return "TRUE"


@dataclass(frozen=True)
class Nobody:
    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return "FALSE"


@dataclass(frozen=True)
class UserIs:
    """Rows whose `column` is the caller."""

    column: str

    def __post_init__(self) -> None:
        _checked(self.column)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return f"{alias}.{self.column} = {p(user_id)}"


@dataclass(frozen=True)
class EmailIsUsers:
    """Rows whose `column` is the caller's email address, compared case-insensitively."""

    column: str

    def __post_init__(self) -> None:
        _checked(self.column)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return f"lower({alias}.{self.column}) = (SELECT lower(email) FROM users WHERE id = {p(user_id)})"


@dataclass(frozen=True)
class ColumnIs:
    """Rows whose `column` holds a fixed value (`visibility = 'public'`)."""

    column: str
    value: Any

    def __post_init__(self) -> None:
        _checked(self.column)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return f"{alias}.{self.column} = {p(self.value)}"


@dataclass(frozen=True)
class Through:
    """Rows whose parent (`column` → `table.key`) the caller may see under `scope`."""

    column: str
    table: str
    scope: Any
    key: str = "id"

    def __post_init__(self) -> None:
        _checked(self.column, self.table, self.key)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        inner = alias + "p"
        return (f"EXISTS (SELECT 1 FROM {self.table} {inner} WHERE {inner}.{self.key} = {alias}.{self.column}"
                f" AND {self.scope.sql(inner, user_id, p)})")


@dataclass(frozen=True)
class CommunityVisible:
    """Rows of a community (`column`) that is public or that the caller is an active member of."""

    column: str = "community_id"
    members_only: bool = False

    def __post_init__(self) -> None:
        _checked(self.column)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        member = (f"EXISTS (SELECT 1 FROM community_members {alias}m WHERE {alias}m.community_id = "
                  f"{alias}.{self.column} AND {alias}m.user_id = {p(user_id)} AND {alias}m.status = 'active')")
        if self.members_only:
            return member
        public = (f"EXISTS (SELECT 1 FROM communities {alias}c WHERE {alias}c.id = {alias}.{self.column}"
                  f" AND NOT {alias}c.is_private)")
        return f"({public} OR {member})"


@dataclass(frozen=True)
class AnyOf:
    scopes: tuple[Any, ...] = field(default_factory=tuple)

    def sql(self, alias: str, user_id: UUID, p: Params) -> str:
        return "(" + " OR ".join(scope.sql(alias, user_id, p) for scope in self.scopes) + ")" \
            if self.scopes else "FALSE"


def search_expression(columns: Iterable[str], alias: str = "t") -> str:
    """The full-text expression a `?q=` matches; migrations index this same expression."""
    joined = " || ' ' || ".join(f"coalesce({alias}.{column}, '')" for column in columns)
    return f"to_tsvector('simple', {joined})"


# Constraint violations, raised for the action to turn into the contract's codes.

class ConstraintError(Exception):
    def __init__(self, constraint: str | None, column: str | None = None) -> None:
        super().__init__(constraint)
        self.constraint = constraint or ""
        self.column = column


class DuplicateRow(ConstraintError):
    """A unique constraint: the row exists already."""


class MissingReference(ConstraintError):
    """A foreign key names a row that does not exist."""


class RuleBroken(ConstraintError):
    """A CHECK or NOT NULL constraint."""


def _translated(exc: asyncpg.IntegrityConstraintViolationError) -> ConstraintError:
    constraint = getattr(exc, "constraint_name", None)
    column = getattr(exc, "column_name", None)
    if isinstance(exc, asyncpg.UniqueViolationError | asyncpg.ExclusionViolationError):
        return DuplicateRow(constraint, column)
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return MissingReference(constraint, column)
    return RuleBroken(constraint, column)


def _select(table: Table) -> str:
    return ", ".join(f"t.{column}" for column in table.columns)


async def list_rows(conn: asyncpg.Connection, table: Table, scope: Any, user_id: UUID, *,
                    filters: Mapping[str, Any], search: str | None, after: tuple[Any, Any] | None,
                    limit: int) -> list[asyncpg.Record]:
    """Up to `limit` visible rows matching `filters`, after the (order, key) position `after`."""
    _checked(*filters)
    p = Params()
    visible = scope.sql("t", user_id, p)
    equal = [f"t.{column} = {p(value)}" for column, value in filters.items()]
    matching = p.when(search or None, f"{search_expression(table.search)} @@ plainto_tsquery('simple', {{}})")
    conditions = where(visible, *equal, matching, p.after(f"t.{table.order}", f"t.{table.key}", after))
    sql = (f"SELECT {_select(table)} FROM {table.name} t WHERE {conditions}"
           f" ORDER BY t.{table.order} DESC, t.{table.key} DESC LIMIT {p(limit)}")
    return await conn.fetch(sql, *p.values)


async def get_row(conn: asyncpg.Connection, table: Table, scope: Any, user_id: UUID, key: Any, *,
                  lock: bool = False) -> asyncpg.Record | None:
    p = Params()
    sql = (f"SELECT {_select(table)} FROM {table.name} t WHERE t.{table.key} = {p(key)}"
           f" AND {scope.sql('t', user_id, p)}" + (" FOR UPDATE OF t" if lock else ""))
    return await conn.fetchrow(sql, *p.values)


async def insert_row(conn: asyncpg.Connection, table: Table, values: Mapping[str, Any]) -> asyncpg.Record:
    _checked(*values)
    p = Params()
    placeholders = [p(value) for value in values.values()]
    columns = ", ".join(values)
    sql = (f"INSERT INTO {table.name} AS t ({columns}) VALUES ({', '.join(placeholders)})"
           if values else f"INSERT INTO {table.name} AS t DEFAULT VALUES")
    try:
        return await conn.fetchrow(f"{sql} RETURNING {_select(table)}", *p.values)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise _translated(exc) from None


async def update_row(conn: asyncpg.Connection, table: Table, key: Any,
                     values: Mapping[str, Any]) -> asyncpg.Record | None:
    _checked(*values)
    p = Params()
    assignments = [f"{column} = {p(value)}" for column, value in values.items()]
    if table.touch:
        assignments.append(f"{table.touch} = now()")
    if not assignments:
        return await conn.fetchrow(f"SELECT {_select(table)} FROM {table.name} t WHERE t.{table.key} = $1", key)
    sql = (f"UPDATE {table.name} AS t SET {', '.join(assignments)} WHERE t.{table.key} = {p(key)}"
           f" RETURNING {_select(table)}")
    try:
        return await conn.fetchrow(sql, *p.values)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise _translated(exc) from None


async def delete_row(conn: asyncpg.Connection, table: Table, key: Any) -> bool:
    try:
        return await conn.fetchval(f"DELETE FROM {table.name} WHERE {table.key} = $1 RETURNING true", key) or False
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise _translated(exc) from None
