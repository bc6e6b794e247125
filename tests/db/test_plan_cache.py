"""The server's PostgreSQL connections plan each statement once (DB_PLAN_CACHE_MODE), so a connect's
joins are not planned again for every socket (docs/operations.md, PostgreSQL query plans)."""

from __future__ import annotations

import pytest

from tests.support.chat import connect, workspace_with_channel
from tests.support.roles import sql


async def _plans_of_the_last_connection(server) -> tuple[str, int, int]:
    """What the pool's most recently used connection (asyncpg hands them out last in, first out) has
    prepared: its plan_cache_mode, and how many generic and custom plans its statements ran."""
    rows = await sql(server, """SELECT current_setting('plan_cache_mode') AS mode,
                                       coalesce(sum(generic_plans), 0) AS generic,
                                       coalesce(sum(custom_plans), 0) AS custom
                                  FROM pg_prepared_statements""")
    return rows[0]["mode"], rows[0]["generic"], rows[0]["custom"]


async def _connect_a_few_times(server) -> None:
    owner, member = await server.account(), await server.account()
    await workspace_with_channel(server, owner, member)
    for _ in range(8):  # past the five runs after which PostgreSQL's `auto` weighs the generic plan
        client = await connect(server, member)
        await client.wait_for("ready")
        await client.close()


async def test_a_connects_statements_are_planned_once_per_connection(server):
    await _connect_a_few_times(server)
    mode, generic, custom = await _plans_of_the_last_connection(server)
    assert mode == "force_generic_plan"
    assert generic > 0, "the connection ran no prepared statement: not the one the connects used"
    assert custom == 0, f"{custom} statements were planned again for the values they ran with"


@pytest.mark.settings(DB_PLAN_CACHE_MODE="auto")
async def test_postgres_default_planning_when_configured_plans_again_for_the_values(server):
    await _connect_a_few_times(server)
    mode, generic, custom = await _plans_of_the_last_connection(server)
    assert mode == "auto"
    assert custom > 0
