"""Data retention policies on the wire (platform admins)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field

from chatserver.schemas.base import InputModel, Timestamp, WireModel
from chatserver.schemas.fields import integer, text, unchanged
from chatserver.schemas.pagination import Page

RetentionDays = integer(1, 36500)
Criteria = Annotated[dict[text(63, 1), Annotated[list[text(200, 1)], Field(min_length=1, max_length=50)]],
                     Field(max_length=5, description="Delete only rows whose column (a key) holds one of the "
                                                     "values; the columns each table allows are listed in "
                                                     "docs/resources.md.", examples=[{"event_type": ["page_view"]}])]


class RetentionPolicyIn(InputModel):
    table_name: text(100, 1) = Field(description="A table on the retention allow-list: analytics_events, "
                                                 "user_activity_logs, page_views, feature_usage, notifications.")
    retention_days: RetentionDays = Field(description="Rows older than this many days are deleted.")
    deletion_criteria: Criteria = Field(default_factory=dict)


class RetentionPolicyUpdateIn(InputModel):
    retention_days: RetentionDays = unchanged()
    deletion_criteria: Criteria = unchanged()


class RetentionPolicyOut(WireModel):
    id: UUID
    table_name: str
    retention_days: int
    deletion_criteria: dict[str, list[str]]
    last_cleanup: Timestamp | None = Field(description="When the worker last applied it.")
    created_at: Timestamp
    updated_at: Timestamp


class RetentionPolicyPage(Page[RetentionPolicyOut]):
    pass
