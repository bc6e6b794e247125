"""Activity analytics: logs, sessions, page views and feature usage that users record, the
categories and types admins define, and the daily summaries a job computes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from pydantic import Field

from chatserver.actions import activity
from chatserver.actions.policies import AdminManaged, Owned
from chatserver.errors import forbidden
from chatserver.http.api import Api, Context
from chatserver.http.resources import READ_ONLY, Col, Resource, mount, server
from chatserver.schemas.base import InputModel, WireModel
from chatserver.schemas.fields import JsonObject, Time, integer, text

api = Api()
TAGS = ("activity",)
RECORDED = frozenset({"list", "get", "create"})

activity_logs = mount(api, Resource(
    path="activity-logs", model="ActivityLog", table="user_activity_logs", tag=TAGS[0], name="activity log",
    policy=Owned(), ops=RECORDED, from_request={"ip_address": "ip", "user_agent": "user_agent"},
    description="Something a user did. Where from (address, user agent) is recorded by the server.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("action_type", text(50, 1), required=True, filter=True),
        Col("action_category", text(30, 1), required=True, filter=True),
        Col("resource_type", text(30), nullable=True),
        Col("resource_id", text(100), nullable=True),
        Col("metadata", JsonObject, nullable=True),
        server("ip_address", str, nullable=True),
        server("user_agent", str, nullable=True),
        Col("session_id", text(100), nullable=True),
        server("created_at", datetime),
    ),
))

activity_sessions = mount(api, Resource(
    path="activity-sessions", model="ActivitySession", table="activity_sessions", tag=TAGS[0],
    policy=Owned(), ops=frozenset({"list", "get", "create", "update"}), touch="last_activity_at",
    from_request={"ip_address": "ip", "user_agent": "user_agent"},
    description="A browsing session (analytics; sign-in sessions are /me/sessions). Updating it marks activity.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("session_token", text(255, 1), required=True, update=False),
        server("ip_address", str, nullable=True),
        server("user_agent", str, nullable=True),
        Col("device_type", text(20), nullable=True, update=False),
        Col("browser", text(50), nullable=True, update=False),
        Col("os", text(50), nullable=True, update=False),
        server("started_at", datetime),
        server("last_activity_at", datetime),
        Col("ended_at", Time, nullable=True, create=False),
        Col("is_active", bool, create=False, filter=True),
        server("created_at", datetime),
    ),
))

page_views = mount(api, Resource(
    path="page-views", model="PageView", table="page_views", tag=TAGS[0], policy=Owned(), ops=RECORDED,
    on_create=activity.check_page_view_session, description="A page a user viewed.",
    columns=(
        server("id", UUID),
        server("user_id", UUID, nullable=True),
        Col("session_id", UUID, nullable=True, filter=True),
        Col("page_path", text(255, 1), required=True, filter=True),
        Col("page_title", text(255), nullable=True),
        Col("referrer", text(500), nullable=True),
        Col("time_on_page", integer(0, 10_000_000), nullable=True, description="Seconds."),
        server("created_at", datetime),
    ),
))

feature_usage = mount(api, Resource(
    path="feature-usage", model="FeatureUse", table="feature_usage", tag=TAGS[0], name="feature use",
    policy=Owned(), ops=RECORDED, description="A use of a feature.",
    columns=(
        server("id", UUID),
        server("user_id", UUID),
        Col("feature_name", text(50, 1), required=True, filter=True),
        Col("action", text(50, 1), required=True),
        Col("metadata", JsonObject, nullable=True),
        server("created_at", datetime),
    ),
))

activity_categories = mount(api, Resource(
    path="activity-categories", model="ActivityCategory", table="activity_categories", tag=TAGS[0],
    name="activity category", policy=AdminManaged(), description="A category of activity types.",
    columns=(
        server("id", UUID),
        Col("name", text(30, 1), required=True),
        Col("description", text(1000), nullable=True),
        server("created_at", datetime),
    ),
))

activity_types = mount(api, Resource(
    path="activity-types", model="ActivityType", table="activity_types", tag=TAGS[0], policy=AdminManaged(),
    description="A kind of activity, and whether it is tracked.",
    columns=(
        server("id", UUID),
        Col("category_id", UUID, nullable=True, filter=True),
        Col("name", text(50, 1), required=True),
        Col("description", text(1000), nullable=True),
        Col("is_tracked", bool, default=True),
        server("created_at", datetime),
    ),
))

summaries = mount(api, Resource(
    path="daily-activity-summaries", model="DailyActivitySummary", table="daily_activity_summaries",
    tag=TAGS[0], name="daily activity summary", policy=AdminManaged(read_by_all=False), ops=READ_ONLY,
    order="date", order_type=date, description="One UTC day's activity figures (admins).",
    columns=(
        server("id", UUID),
        server("date", date),
        *(server(name, int) for name in (
            "total_users_active", "total_sessions", "total_page_views", "total_actions", "new_registrations",
            "new_connections", "new_posts", "new_job_applications", "new_skill_attempts", "new_community_joins")),
        server("created_at", datetime),
        server("updated_at", datetime),
    ),
))


class ComputeIn(InputModel):
    day: date | None = Field(None, alias="date", description="The UTC day; today when absent.")


@api.post("/daily-activity-summaries/compute", summary="Compute a day's summary now (admins)", tags=TAGS,
          body=ComputeIn, response=summaries.out, errors=("forbidden",))
async def compute_daily_activity_summary(ctx: Context, body: ComputeIn) -> WireModel:
    if not ctx.user.is_admin:
        raise forbidden("only admins compute summaries")
    day = body.day or datetime.now(UTC).date()
    return summaries.render(await activity.compute_daily_summary(ctx.svc, day))
