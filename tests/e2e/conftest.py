"""Fixtures for tests that run several real server processes against real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from tests.support.cluster import Cluster, api
from tests.support.redis_cluster import RedisClusterServers, cluster_unavailable
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


@pytest.fixture(scope="session")
def redis_cluster_servers() -> Iterator[RedisClusterServers]:
    """One Redis Cluster (3 masters, 3 replicas) for the whole run: it takes seconds to form."""
    reason = cluster_unavailable()
    if reason:
        pytest.fail(reason)
    servers = RedisClusterServers()
    servers.start()
    yield servers
    servers.stop()


@pytest.fixture
def redis_cluster(redis_cluster_servers) -> Iterator[RedisClusterServers]:
    """The session's cluster with all six nodes up (a test may have killed one) and no keys left.
    Whatever the test did, no command may have spanned two slots."""
    redis_cluster_servers.restart_stopped()
    with redis_cluster_servers.client() as client:
        client.flushall(target_nodes=client.PRIMARIES)
    redis_cluster_servers.reset_stats()
    yield redis_cluster_servers
    crossslot = redis_cluster_servers.crossslot_errors()
    assert not crossslot, f"a command spanned slots (CROSSSLOT replies by node): {crossslot}"


@pytest.fixture
def redis_backend(request) -> str:
    """"redis" (one server) unless the test is parametrised with `on_redis_and_cluster`."""
    return getattr(request, "param", "redis")


@pytest.fixture
def redis_env(request, redis_backend) -> dict[str, str]:
    """The settings that point server processes at the test's Redis."""
    if redis_backend == "redis_cluster":
        return {"REDIS_URL": request.getfixturevalue("redis_cluster").url, "REDIS_CLUSTER": "true"}
    return {"REDIS_URL": request.getfixturevalue("redis_server").url}


@pytest.fixture
async def cluster(request, database_url, app_database_url, redis_env, tmp_path) -> AsyncIterator[Cluster]:
    """Three server processes; `@pytest.mark.cluster(count=2, env={...})` changes that.
    They sign in as the application role and would migrate as the owner, as in production."""
    marker = request.node.get_closest_marker("cluster")
    options = marker.kwargs if marker else {}
    cluster = Cluster(app_database_url, redis_env["REDIS_URL"], tmp_path,
                      env={"DATABASE_OWNER_URL": database_url,
                           "RATE_LIMIT_SEND": "100000/1", "RATE_LIMIT_AUTH": "100000/1", **redis_env,
                           **options.get("env", {})})
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
