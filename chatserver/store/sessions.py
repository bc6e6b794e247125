"""Sessions (one per device), their token digests and refresh rotation."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from chatserver.store import memberships

_COLUMNS = "id, user_id, access_expires_at, expires_at, user_agent, host(ip_address) AS ip_address, " \
           "created_at, last_active_at, revoked_at"


async def create(conn: asyncpg.Connection, *, user_id: UUID, access_hash: bytes, refresh_hash: bytes,
                 access_expires_at: datetime, expires_at: datetime, user_agent: str | None,
                 ip_address: str | None) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO sessions (user_id, access_token_hash, refresh_token_hash, access_expires_at,
                                  expires_at, user_agent, ip_address)
            VALUES ($1, $2, $3, $4, $5, $6, $7::inet) RETURNING {_COLUMNS}""",
        user_id, access_hash, refresh_hash, access_expires_at, expires_at, user_agent, ip_address,
    )


async def by_access_token(conn: asyncpg.Connection, access_hash: bytes, *,
                          with_memberships: bool = False) -> asyncpg.Record | None:
    """The live session holding this access token, with its user's standing (and, for a new socket, who
    they are as `ready` shows it and what they take part in: memberships.from_row reads it); None when the
    token is unknown, expired or revoked. Activity is recorded at most once a minute, in the same statement."""
    also = f", username, display_name, avatar_url, {memberships.columns('live.user_id')}" if with_memberships else ""
    return await conn.fetchrow(
        f"""WITH live AS (
               SELECT s.id, s.user_id, s.last_active_at, u.role, u.is_active, u.is_banned,
                      u.username, u.display_name, u.avatar_url
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.access_token_hash = $1 AND s.revoked_at IS NULL
                 AND s.access_expires_at > now() AND s.expires_at > now()),
           touched AS (
               UPDATE sessions SET last_active_at = now()
               WHERE id = (SELECT id FROM live WHERE last_active_at < now() - interval '1 minute'))
           SELECT id, user_id, role, is_active, is_banned{also} FROM live""",
        access_hash,
    )


async def lock_by_refresh_token(conn: asyncpg.Connection, refresh_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM sessions WHERE refresh_token_hash = $1 FOR UPDATE", refresh_hash,
    )


async def session_of_used_refresh_token(conn: asyncpg.Connection, refresh_hash: bytes) -> UUID | None:
    return await conn.fetchval(
        "SELECT session_id FROM session_used_refresh_tokens WHERE token_hash = $1", refresh_hash,
    )


async def rotate(conn: asyncpg.Connection, session_id: UUID, *, old_refresh_hash: bytes, access_hash: bytes,
                 refresh_hash: bytes, access_expires_at: datetime) -> asyncpg.Record:
    await conn.execute(
        "INSERT INTO session_used_refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
        old_refresh_hash, session_id,
    )
    return await conn.fetchrow(
        f"""UPDATE sessions SET access_token_hash = $2, refresh_token_hash = $3, access_expires_at = $4,
                                last_active_at = now()
            WHERE id = $1 RETURNING {_COLUMNS}""",
        session_id, access_hash, refresh_hash, access_expires_at,
    )


async def revoke(conn: asyncpg.Connection, session_id: UUID, reason: str) -> bool:
    """True when this call revoked it; False when it was already revoked or does not exist."""
    status = await conn.execute(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL",
        session_id, reason,
    )
    return status == "UPDATE 1"


async def revoke_all_for_user(conn: asyncpg.Connection, user_id: UUID, reason: str) -> list[UUID]:
    rows = await conn.fetch(
        """UPDATE sessions SET revoked_at = now(), revoked_reason = $2
           WHERE user_id = $1 AND revoked_at IS NULL RETURNING id""",
        user_id, reason,
    )
    return [row["id"] for row in rows]


async def live_for_user(conn: asyncpg.Connection, user_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {_COLUMNS} FROM sessions
            WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
            ORDER BY last_active_at DESC""",
        user_id,
    )


async def by_id(conn: asyncpg.Connection, session_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_COLUMNS} FROM sessions WHERE id = $1", session_id)
