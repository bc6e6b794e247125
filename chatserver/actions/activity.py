"""Activity analytics: what users record, and the daily summaries a job computes from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from chatserver.actions.context import Principal, Services
from chatserver.errors import forbidden, invalid
from chatserver.store import activity


async def compute_daily_summary(svc: Services, day: date) -> asyncpg.Record:
    """Summarise one UTC day. Idempotent: running it again rewrites the day's figures, so the
    periodic job may run it for today (so far) and yesterday (final) every time."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    async with svc.db.transaction("compute_daily_activity_summary") as conn:
        return await activity.write_summary(conn, day, start, start + timedelta(days=1))


async def summarise_recent_days(svc: Services) -> None:
    """The periodic job: yesterday, now complete, and today so far."""
    today = datetime.now(UTC).date()
    for day in (today - timedelta(days=1), today):
        await compute_daily_summary(svc, day)


async def check_page_view_session(conn: asyncpg.Connection, principal: Principal, values: dict[str, Any]) -> None:
    """A page view may name one of the caller's own activity sessions, nobody else's."""
    if values.get("session_id") is None:
        return
    owner = await activity.session_owner(conn, values["session_id"])
    if owner is None:
        raise invalid({"sessionId": "no such activity session"})
    if owner != principal.user_id:
        raise forbidden("that activity session is not yours")
