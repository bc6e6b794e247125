"""Uploaded files' records; the bytes live behind chatserver.files."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

COLUMNS = "id, uploader_id, message_id, file_name, storage_key, file_size, mime_type, thumbnail_url, width, " \
          "height, created_at"


async def create(conn: asyncpg.Connection, *, attachment_id: UUID, uploader_id: UUID, file_name: str,
                 storage_key: str, file_size: int, mime_type: str, width: int | None,
                 height: int | None) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO attachments (id, uploader_id, file_name, storage_key, file_size, mime_type, width, height)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}""",
        attachment_id, uploader_id, file_name, storage_key, file_size, mime_type, width, height,
    )


async def by_id(conn: asyncpg.Connection, attachment_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM attachments WHERE id = $1", attachment_id)


async def unattached_of(conn: asyncpg.Connection, uploader_id: UUID, ids: Sequence[UUID]) -> list[UUID]:
    """Those of `ids` that the uploader owns and no message uses yet, locked until the commit."""
    rows = await conn.fetch(
        """SELECT id FROM attachments WHERE id = ANY($2::uuid[]) AND uploader_id = $1 AND message_id IS NULL
           FOR UPDATE""",
        uploader_id, list(ids),
    )
    return [row["id"] for row in rows]


async def of_messages(conn: asyncpg.Connection, message_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM attachments WHERE message_id = ANY($1::uuid[]) ORDER BY created_at, id",
        list(message_ids),
    )
