"""Job applications as their rules need them: with the poster of the job they are for."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def job_poster(conn: asyncpg.Connection, job_id: str) -> tuple[bool, UUID | None]:
    """(whether the job exists, who posted it)."""
    row = await conn.fetchrow("SELECT posted_by_user_id FROM jobs WHERE id = $1", job_id)
    return (row is not None, row["posted_by_user_id"] if row else None)


async def application_parties(conn: asyncpg.Connection, application_id: UUID, *,
                              lock: bool = False) -> asyncpg.Record | None:
    """The application's applicant, the job's poster and its withdrawal state."""
    return await conn.fetchrow(
        "SELECT a.id, a.user_id, a.withdrawn, j.posted_by_user_id FROM job_applications a"
        " JOIN jobs j ON j.id = a.job_id WHERE a.id = $1" + (" FOR UPDATE OF a" if lock else ""),
        application_id)
