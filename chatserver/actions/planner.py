"""Daily interviews (one per user per UTC day) and the answers given in them (one per question)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from chatserver.actions import resources
from chatserver.actions.context import Principal, Services
from chatserver.errors import conflict, forbidden, invalid, not_found
from chatserver.store import generic, planner


async def start_interview(conn: asyncpg.Connection, principal: Principal, values: dict[str, Any]) -> None:
    """Today's interview: the date is the server's (UTC), so there is one a day whatever the client says."""
    today = datetime.now(UTC).date()
    values["interview_date"] = today
    await planner.record_interview_day(conn, principal.user_id, today)


async def check_interview_open(conn: asyncpg.Connection, principal: Principal, values: dict[str, Any]) -> None:
    """Answers go into one of the caller's own interviews that is not completed yet."""
    interview = await planner.interview(conn, values["daily_interview_id"])
    if interview is None:
        raise invalid({"dailyInterviewId": "no such interview"})
    if interview["user_id"] != principal.user_id:
        raise forbidden("answers go into your own interviews")
    if interview["is_completed"]:
        raise conflict("this interview is completed")


async def complete_interview(svc: Services, principal: Principal, rules: resources.Rules,
                             interview_id: UUID) -> asyncpg.Record:
    async with svc.db.transaction("complete_daily_interview") as conn:
        row = await generic.get_row(conn, rules.table, rules.policy.scope(principal), principal.user_id,
                                    interview_id, lock=True)
        if row is None:
            raise not_found("daily interview")
        if row["user_id"] != principal.user_id:
            raise forbidden("only its owner completes an interview")
        if row["is_completed"]:
            raise conflict("this interview is completed already")
        return await generic.update_row(conn, rules.table, interview_id,
                                        {"is_completed": True, "completed_at": datetime.now(UTC)})
