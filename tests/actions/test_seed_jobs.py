"""Jobs outside HTTP: the daily activity summary as a worker calls it, and the legacy AI migration."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import asyncpg

from chatserver import periodic
from chatserver.actions import activity
from chatserver.http.api import SERVICES
from tests.support.roles import sql


async def test_the_daily_summary_is_a_function_a_worker_can_call(server):
    svc = server.app[SERVICES]
    await server.account()
    today = datetime.now(UTC).date()
    row = await activity.compute_daily_summary(svc, today)
    assert row["date"] == today and row["new_registrations"] == 1
    yesterday = await activity.compute_daily_summary(svc, today - timedelta(days=1))
    assert yesterday["new_registrations"] == 0
    await server.account()
    await periodic.run_once(svc)  # what the periodic loop runs: yesterday and today again
    rows = await sql(server, "SELECT date, new_registrations FROM daily_activity_summaries ORDER BY date")
    assert [(r["date"], r["new_registrations"]) for r in rows] == [(today - timedelta(days=1), 0), (today, 2)]


async def test_deprecated_ai_messages_and_votes_move_to_the_current_tables(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        user = await conn.fetchval("INSERT INTO users (email, username) VALUES ('old@example.com', 'olduser')"
                                   " RETURNING id")
        chat = await conn.fetchval("INSERT INTO ai_chats (user_id, title) VALUES ($1, 'Old chat') RETURNING id", user)
        said = await conn.fetchval("INSERT INTO legacy_ai_chat_messages (id, chat_id, role, content, created_at)"
                                   " VALUES (gen_random_uuid(), $1, 'user', '\"hello\"', now()) RETURNING id", chat)
        await conn.execute("INSERT INTO legacy_ai_chat_messages (id, chat_id, role, content, created_at) VALUES"
                           " (gen_random_uuid(), $1, 'assistant', $2, now())", chat,
                           '[{"type": "text", "text": "hi there"}]')
        await conn.execute("INSERT INTO legacy_ai_chat_votes VALUES ($1, $2, true)", chat, said)
    finally:
        await conn.close()

    env = {**os.environ, "DATABASE_URL": database_url, "LOG_JSON": "false", "MIGRATE_ON_START": "false"}
    outputs = []
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "chatserver", "migrate-legacy-ai", env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        outputs.append(out.decode())
    assert "moved 2 legacy AI chat messages and 1 votes" in outputs[0]
    assert "moved 0" in outputs[1]

    conn = await asyncpg.connect(database_url)
    try:
        parts = {r["role"]: r["parts"] for r in await conn.fetch("SELECT role, parts FROM ai_chat_messages")}
        assert parts["user"] == '[{"text": "hello", "type": "text"}]'
        assert parts["assistant"] == '[{"text": "hi there", "type": "text"}]'
        assert await conn.fetchval("SELECT is_upvoted FROM ai_chat_votes WHERE message_id = $1", said) is True
        assert await conn.fetchval("SELECT count(*) FROM legacy_ai_chat_messages") == 0
    finally:
        await conn.close()
