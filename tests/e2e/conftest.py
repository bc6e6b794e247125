"""Fixtures for tests that run several real server processes against real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.support.cluster import Cluster, api
from tests.support.redis_server import RedisServer, redis_binary
from tests.support.sockets import close_all


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    if redis_binary() is None:
        pytest.fail("no redis-server binary: run scripts/bootstrap --test")
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def cluster(request, database_url, redis_server, tmp_path) -> AsyncIterator[Cluster]:
    """Three server processes; `@pytest.mark.cluster(count=2, env={...})` changes that."""
    marker = request.node.get_closest_marker("cluster")
    options = marker.kwargs if marker else {}
    cluster = Cluster(database_url, redis_server.url, tmp_path,
                      env={"RATE_LIMIT_SEND": "100000/1", "RATE_LIMIT_AUTH": "100000/1", **options.get("env", {})})
    try:
        await cluster.start(options.get("count", 3))
        yield cluster
    finally:
        await close_all()
        await cluster.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def nodes(cluster, http, settings):
    """HTTP helpers (register, login, requests) for each process."""
    return [api(http, process, settings) for process in cluster.processes]
