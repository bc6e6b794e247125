"""Documents, versioned by (id, created_at): every version is a row."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

_COLUMNS = "d.id, d.created_at, d.title, d.content, d.kind, d.user_id"
# The owner's documents, or everyone's for an admin ($2).
_MINE = "(d.user_id = $1 OR $2)"


async def insert_version(conn: asyncpg.Connection, *, document_id: UUID | None, user_id: UUID, title: str,
                         content: str | None, kind: str) -> asyncpg.Record:
    """A new document (no id) or a new version of one; the version's created_at is set here."""
    return await conn.fetchrow(
        f"INSERT INTO documents AS d (id, title, content, kind, user_id)"
        f" VALUES (coalesce($1, gen_random_uuid()), $2, $3, $4, $5) RETURNING {_COLUMNS}",
        document_id, title, content, kind, user_id)


async def latest(conn: asyncpg.Connection, document_id: UUID, user_id: UUID, *,
                 is_admin: bool) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_COLUMNS}, (SELECT count(*) FROM documents v WHERE v.id = d.id) AS version_count"
        f" FROM documents d WHERE d.id = $3 AND {_MINE} ORDER BY d.created_at DESC LIMIT 1",
        user_id, is_admin, document_id)


async def latest_page(conn: asyncpg.Connection, user_id: UUID, *, is_admin: bool,
                      after: tuple[datetime, UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Each document once, as its latest version, most recently changed first."""
    p = Params(user_id, is_admin)
    position = where(p.after("created_at", "id", after))
    return await conn.fetch(
        f"""SELECT * FROM (SELECT DISTINCT ON (d.id) {_COLUMNS},
                                  count(*) OVER (PARTITION BY d.id) AS version_count
                             FROM documents d WHERE {_MINE} ORDER BY d.id, d.created_at DESC) latest
             WHERE {position} ORDER BY created_at DESC, id DESC LIMIT {p(limit)}""", *p.values)


async def versions(conn: asyncpg.Connection, document_id: UUID, user_id: UUID, *, is_admin: bool) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_COLUMNS} FROM documents d WHERE d.id = $3 AND {_MINE} ORDER BY d.created_at DESC",
        user_id, is_admin, document_id)


async def owner_of(conn: asyncpg.Connection, document_id: UUID) -> UUID | None:
    return await conn.fetchval("SELECT user_id FROM documents WHERE id = $1 LIMIT 1", document_id)


async def version_owner(conn: asyncpg.Connection, document_id: UUID, created_at: datetime) -> UUID | None:
    return await conn.fetchval("SELECT user_id FROM documents WHERE id = $1 AND created_at = $2",
                               document_id, created_at)


async def delete(conn: asyncpg.Connection, document_id: UUID) -> None:
    await conn.execute("DELETE FROM documents WHERE id = $1", document_id)
