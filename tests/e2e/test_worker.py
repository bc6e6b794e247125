"""`chatserver worker` runs the periodic tasks in a process of its own."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg


async def test_the_worker_runs_the_jobs_once_and_exits(database_url, app_database_url, tmp_path):
    # As in production: the worker's pool signs in as the application role, its migrations as the owner.
    env = {**os.environ, "DATABASE_URL": app_database_url, "DATABASE_OWNER_URL": database_url,
           "CHAT_DATA_DIR": str(tmp_path), "LOG_JSON": "false"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "worker", "--once", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    assert "running periodic tasks" in output.decode()
    assert "failed" not in output.decode()
    conn = await asyncpg.connect(database_url)
    try:
        days = await conn.fetchval("SELECT count(*) FROM daily_activity_summaries")
    finally:
        await conn.close()
    assert days == 2  # yesterday's and today's summary rows were computed
