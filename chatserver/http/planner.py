"""Calendar blocks, daily interviews and the answers given in them."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from chatserver.actions import planner
from chatserver.actions.policies import Owned
from chatserver.http.api import Api, Context
from chatserver.http.resources import Col, Resource, mount, server
from chatserver.schemas.base import WireModel
from chatserver.schemas.fields import LongText, TimeOfDay, integer, text

api = Api()
TAGS = ("planner",)

calendar_blocks = mount(api, Resource(
    path="calendar-blocks", model="CalendarBlock", table="user_calendar_blocks", tag=TAGS[0], name="calendar block",
    policy=Owned(), touch="updated_at",
    constraint_fields={"user_calendar_blocks_week_starts_monday": "week_start_date",
                       "user_calendar_blocks_start_before_end": "end_time"},
    description="A blocked (or available) slot of your week. The week starts on a Monday; dayOfWeek 0 is "
                "Monday; the start is before the end; one block per slot.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("week_start_date", date, required=True, filter=True, description="The Monday of the week."),
        Col("day_of_week", integer(0, 6), required=True, description="0 = Monday ... 6 = Sunday."),
        Col("start_time", TimeOfDay, required=True),
        Col("end_time", TimeOfDay, required=True),
        Col("is_blocked", bool, default=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))

daily_interviews = mount(api, Resource(
    path="daily-interviews", model="DailyInterview", table="daily_interviews", tag=TAGS[0],
    policy=Owned(), ops=frozenset({"list", "get", "create"}), touch="updated_at", on_create=planner.start_interview,
    description="Today's practice interview: one per user per UTC day.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        server("interview_date", date, filter=True),
        Col("category", text(50), nullable=True, update=False),
        server("completed_at", datetime, nullable=True),
        server("is_completed", bool, filter=True),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))


@api.post("/daily-interviews/{id}/complete", summary="Complete your interview", tags=TAGS,
          response=daily_interviews.out, errors=("not_found", "forbidden", "conflict"))
async def complete_daily_interview(ctx: Context, id: UUID) -> WireModel:
    return daily_interviews.render(await planner.complete_interview(ctx.svc, ctx.user, daily_interviews.rules, id))


interview_progress = mount(api, Resource(
    path="interview-progress", model="InterviewAnswer", table="interview_progress", tag=TAGS[0],
    name="interview answer", policy=Owned(), ops=frozenset({"list", "get", "create", "update"}),
    on_create=planner.check_interview_open,
    description="An answer given in one of your daily interviews: one per question.",
    columns=(
        server("id", UUID),
        Col("daily_interview_id", UUID, required=True, update=False, filter=True),
        server("user_id", UUID),
        Col("category", text(50, 1), required=True, update=False),
        Col("question_id", integer(0, 1_000_000), required=True, update=False),
        Col("question", text(4000, 1), required=True, update=False),
        Col("answer", LongText, required=True),
        Col("ai_feedback", LongText, nullable=True),
        server("answered_at", datetime),
        server("created_at", datetime),
    ),
))
