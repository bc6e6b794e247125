"""Invite links and referrals."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def link_by_code(conn: asyncpg.Connection, code: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT id, code, created_by, used_by, is_used, expires_at, expires_at <= now() AS expired"
        " FROM invite_links WHERE code = $1" + (" FOR UPDATE" if lock else ""), code)


async def use_link(conn: asyncpg.Connection, link_id: UUID, user_id: UUID) -> None:
    await conn.execute("UPDATE invite_links SET is_used = true, used_by = $2, used_at = now() WHERE id = $1",
                       link_id, user_id)


async def lock_profile(conn: asyncpg.Connection, user_id: UUID) -> asyncpg.Record:
    """The user's profile, created if missing, locked for a change that counts or sets once."""
    await conn.execute("INSERT INTO user_profiles (user_id) VALUES ($1) ON CONFLICT DO NOTHING", user_id)
    return await conn.fetchrow(
        "SELECT user_id, invite_source_id, is_verified FROM user_profiles WHERE user_id = $1 FOR UPDATE", user_id)


async def set_invite_source(conn: asyncpg.Connection, user_id: UUID, inviter_id: UUID) -> None:
    await conn.execute("UPDATE user_profiles SET invite_source_id = $2, updated_at = now() WHERE user_id = $1",
                       user_id, inviter_id)


async def referral_for_update(conn: asyncpg.Connection, referral_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM referrals WHERE id = $1 FOR UPDATE", referral_id)


async def answer_referral(conn: asyncpg.Connection, referral_id: UUID, user_id: UUID, status: str) -> None:
    await conn.execute(
        "UPDATE referrals SET status = $3, recipient_user_id = $2, responded_at = now() WHERE id = $1",
        referral_id, user_id, status)


async def accepted_referrals(conn: asyncpg.Connection, sender_id: UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM referrals WHERE sender_id = $1 AND status = 'accepted'",
                               sender_id)


async def mark_verified(conn: asyncpg.Connection, user_id: UUID) -> None:
    await conn.execute("UPDATE user_profiles SET is_verified = true, updated_at = now() WHERE user_id = $1",
                       user_id)
