"""Every pooled connection busy is overload, not an outage: a request waits its turn (a burst of
reconnecting sockets must not be refused), and only past the busy wait is it answered
`unavailable`, said as it is, to the client and in the log."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack

import pytest

from chatserver.db.database import Database
from chatserver.errors import ApiError
from chatserver.http.api import SERVICES


async def _hold_every_connection(pool, held: AsyncExitStack) -> None:
    """What a connect storm or slow queries would hold."""
    for _ in range(pool.get_max_size()):
        await held.enter_async_context(pool.acquire())


@pytest.mark.settings(DB_CONNECT_TIMEOUT="1")
async def test_a_request_that_meets_a_saturated_pool_waits_its_turn_past_the_one_second_connect_wait(server):
    account = await server.account()
    pool = server.app[SERVICES].db.pool
    held = AsyncExitStack()
    await _hold_every_connection(pool, held)
    request = asyncio.get_running_loop().create_task(
        server.request("GET", "/api/v1/me", token=account.access_token))
    await asyncio.sleep(2.5)  # longer than DB_CONNECT_TIMEOUT: still waiting, not refused
    assert not request.done()
    await held.aclose()
    answer = await asyncio.wait_for(request, 5)
    assert answer.status == 200, answer.body
    metrics = await server.request("GET", "/metrics")
    assert "chat_db_pool_exhausted_total 0.0" in metrics.body


@pytest.mark.expect_log(r"every PostgreSQL connection of the pool")
async def test_past_the_busy_wait_shortened_to_one_second_the_answer_is_busy_not_an_outage(server):
    pool = server.app[SERVICES].db.pool
    database = Database(pool, acquire_timeout=0.5, busy_wait=1.0)  # the server's pool, a short wait
    async with AsyncExitStack() as held:
        await _hold_every_connection(pool, held)
        started = time.monotonic()
        with pytest.raises(ApiError) as refused:
            async with database.connection():
                pass
        waited = time.monotonic() - started
    assert refused.value.code == "unavailable" and refused.value.message == "the server is busy; try again shortly"
    assert refused.value.details == {"retryAfter": 1} and 1.0 <= waited < 2.5
    metrics = await server.request("GET", "/metrics")
    assert "chat_db_pool_exhausted_total 1.0" in metrics.body
