"""Single-use, expiring password reset tokens (digests only)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg


async def create(conn: asyncpg.Connection, user_id: UUID, token_hash: bytes, expires_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO password_reset_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, $3)",
        user_id, token_hash, expires_at,
    )


async def consume(conn: asyncpg.Connection, token_hash: bytes) -> UUID | None:
    """Mark the token used and return its user, or None if unknown, used or expired."""
    return await conn.fetchval(
        """UPDATE password_reset_tokens SET used_at = now()
           WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
           RETURNING user_id""",
        token_hash,
    )


async def void_for_user(conn: asyncpg.Connection, user_id: UUID) -> None:
    """Once a password is reset, every other outstanding token for it is void."""
    await conn.execute(
        "UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL", user_id,
    )
