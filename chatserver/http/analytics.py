"""A community's analytics events: recorded and counted by its admins and owner."""

from __future__ import annotations

from uuid import UUID

from chatserver.actions import analytics
from chatserver.http.api import Api, Context
from chatserver.schemas.analytics import (
    AnalyticsCountQuery,
    AnalyticsCounts,
    AnalyticsEventIn,
    AnalyticsEventOut,
)

api = Api()
TAGS = ("analytics",)
ERRORS = ("not_found", "forbidden")


@api.post("/communities/{id}/analytics/events", summary="Record an analytics event", tags=TAGS,
          body=AnalyticsEventIn, response=AnalyticsEventOut, status=201, errors=ERRORS)
async def record_analytics_event(ctx: Context, id: UUID, body: AnalyticsEventIn) -> AnalyticsEventOut:
    return await analytics.record_event(ctx.svc, ctx.user, id, body)


@api.get("/communities/{id}/analytics/counts", summary="Events per UTC day and type, over at most 366 days",
         tags=TAGS, query=AnalyticsCountQuery, response=AnalyticsCounts, errors=ERRORS)
async def count_analytics_events(ctx: Context, id: UUID, query: AnalyticsCountQuery) -> AnalyticsCounts:
    return await analytics.count_events(ctx.svc, ctx.user, id, query)
