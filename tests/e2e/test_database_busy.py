"""Every pooled connection busy is overload, not an outage: the same `unavailable` answer, said
as it is, to the client and in the log, and the server goes on as soon as a connection frees up."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import pytest

from chatserver.http.api import SERVICES


@pytest.mark.settings(DB_CONNECT_TIMEOUT="1")
@pytest.mark.expect_log(r"every PostgreSQL connection of the pool")
async def test_a_saturated_pool_answers_busy_within_the_wait_set_to_one_second_for_speed(server):
    account = await server.account()
    pool = server.app[SERVICES].db.pool
    async with AsyncExitStack() as held:  # what a connect storm or slow queries would hold
        for _ in range(pool.get_max_size()):
            await held.enter_async_context(pool.acquire())
        started = time.monotonic()
        busy = await server.request("GET", "/api/v1/me", token=account.access_token)
        waited = time.monotonic() - started
    assert busy.status == 503 and busy.body["code"] == "unavailable", busy.body
    assert busy.body["detail"] == "the server is busy; try again shortly"
    assert busy.headers["Retry-After"] == "1" and waited < 3
    assert (await server.request("GET", "/api/v1/me", token=account.access_token)).status == 200
    metrics = await server.request("GET", "/metrics")
    assert "chat_db_pool_exhausted_total 1.0" in metrics.body
