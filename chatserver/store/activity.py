"""Daily activity summaries, computed from the activity tables and the rows of the day."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import asyncpg

# Each figure counts the rows of [$2, $3): the UTC day being summarised.
_SUMMARY = """
INSERT INTO daily_activity_summaries AS s (date, total_users_active, total_sessions, total_page_views,
    total_actions, new_registrations, new_connections, new_posts, new_job_applications, new_skill_attempts,
    new_community_joins)
SELECT $1::date,
    (SELECT count(DISTINCT user_id) FROM (
        SELECT user_id FROM user_activity_logs WHERE created_at >= $2 AND created_at < $3
        UNION ALL SELECT user_id FROM activity_sessions WHERE last_activity_at >= $2 AND started_at < $3
        UNION ALL SELECT user_id FROM page_views WHERE created_at >= $2 AND created_at < $3
        UNION ALL SELECT user_id FROM feature_usage WHERE created_at >= $2 AND created_at < $3) active
     WHERE user_id IS NOT NULL),
    (SELECT count(*) FROM activity_sessions WHERE started_at >= $2 AND started_at < $3),
    (SELECT count(*) FROM page_views WHERE created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM user_activity_logs WHERE created_at >= $2 AND created_at < $3)
      + (SELECT count(*) FROM feature_usage WHERE created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM users WHERE created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM connections WHERE status <> 'blocked' AND created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM anonymous_posts WHERE created_at >= $2 AND created_at < $3)
      + (SELECT count(*) FROM community_posts WHERE created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM job_applications WHERE created_at >= $2 AND created_at < $3),
    (SELECT count(*) FROM skill_attempts WHERE created_at >= $2 AND created_at < $3),
    chat_members_joined($2, $3)  -- across communities, past row-level security (sql/035)
ON CONFLICT (date) DO UPDATE SET
    total_users_active = EXCLUDED.total_users_active, total_sessions = EXCLUDED.total_sessions,
    total_page_views = EXCLUDED.total_page_views, total_actions = EXCLUDED.total_actions,
    new_registrations = EXCLUDED.new_registrations, new_connections = EXCLUDED.new_connections,
    new_posts = EXCLUDED.new_posts, new_job_applications = EXCLUDED.new_job_applications,
    new_skill_attempts = EXCLUDED.new_skill_attempts, new_community_joins = EXCLUDED.new_community_joins,
    updated_at = now()
RETURNING s.*
"""


async def write_summary(conn: asyncpg.Connection, day: date, start: datetime, end: datetime) -> asyncpg.Record:
    """Compute the day's figures and write them, replacing an earlier run's."""
    return await conn.fetchrow(_SUMMARY, day, start, end)


async def session_owner(conn: asyncpg.Connection, session_id: UUID) -> UUID | None:
    return await conn.fetchval("SELECT user_id FROM activity_sessions WHERE id = $1", session_id)
