"""Identity revelations: who let whom see their real name, per message type."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from chatserver.store.params import Params, where

# The revealed-to person as the revealer ($1) may see them: by name only if they revealed back.
_REVELATION = """
    r.id, r.message_type_id, r.revealed_at,
    coalesce(tp.anonymous_name, 'Anonymous') AS to_anonymous_name, tu.id AS to_user_id,
    tu.username AS to_username, tu.display_name AS to_display_name,
    EXISTS (SELECT 1 FROM identity_revelations back WHERE back.revealer_id = r.revealed_to_id
            AND back.revealed_to_id = $1) AS to_revealed
"""
_FROM = ("identity_revelations r JOIN users tu ON tu.id = r.revealed_to_id"
         " LEFT JOIN user_profiles tp ON tp.user_id = r.revealed_to_id")


async def reveal(conn: asyncpg.Connection, revealer_id: UUID, revealed_to_id: UUID,
                 type_id: UUID) -> tuple[UUID, bool]:
    """(the revelation's id, whether it is new); revealing twice changes nothing."""
    new_id = await conn.fetchval(
        "INSERT INTO identity_revelations (revealer_id, revealed_to_id, message_type_id) VALUES ($1, $2, $3)"
        " ON CONFLICT (revealer_id, revealed_to_id, message_type_id) DO NOTHING RETURNING id",
        revealer_id, revealed_to_id, type_id)
    if new_id is not None:
        return new_id, True
    existing = await conn.fetchval(
        "SELECT id FROM identity_revelations WHERE revealer_id = $1 AND revealed_to_id = $2"
        " AND message_type_id = $3", revealer_id, revealed_to_id, type_id)
    return existing, False


async def revelation(conn: asyncpg.Connection, revealer_id: UUID, revelation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_REVELATION} FROM {_FROM} WHERE r.revealer_id = $1 AND r.id = $2",
                               revealer_id, revelation_id)


async def revelations_by(conn: asyncpg.Connection, revealer_id: UUID, *, after: tuple[datetime, UUID] | None,
                         limit: int) -> list[asyncpg.Record]:
    p = Params(revealer_id)
    conditions = where("r.revealer_id = $1", p.after("r.revealed_at", "r.id", after))
    return await conn.fetch(
        f"SELECT {_REVELATION} FROM {_FROM} WHERE {conditions}"
        f" ORDER BY r.revealed_at DESC, r.id DESC LIMIT {p(limit)}", *p.values)
