"""Daily interviews as their rules need them."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg


async def record_interview_day(conn: asyncpg.Connection, user_id: UUID, day: date) -> None:
    """The career User's interview bookkeeping (lastInterviewDate, interviewCount)."""
    await conn.execute("UPDATE users SET last_interview_date = $2, interview_count = interview_count + 1"
                       " WHERE id = $1", user_id, day)


async def interview(conn: asyncpg.Connection, interview_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, user_id, is_completed FROM daily_interviews WHERE id = $1 FOR SHARE",
                               interview_id)
