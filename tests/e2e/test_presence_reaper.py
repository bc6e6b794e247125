"""The presence reaper against a real Redis: an OFFLINE announcement owed for a dead process's
user is made even when the reaper fails, or dies, between reaping and announcing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis, RedisCluster

from chatserver.presence.redis import RedisPresence
from tests.support.redis_cluster import on_redis_and_cluster

pytestmark = on_redis_and_cluster


@pytest.fixture
async def redis(redis_env):
    url = redis_env["REDIS_URL"]
    client = RedisCluster.from_url(url) if redis_env.get("REDIS_CLUSTER") else Redis.from_url(url)
    yield client
    await client.aclose()


class Announcer:
    """Stands where the server announces users OFFLINE; remembers each call, and can fail the first."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.calls: list[list[uuid.UUID]] = []
        self.fail_first = fail_first

    async def __call__(self, users: list[uuid.UUID]) -> None:
        self.calls.append(users)
        if self.fail_first and len(self.calls) == 1:
            raise ConnectionError("PostgreSQL is away")


async def _a_dead_process_with(redis: Redis, user: uuid.UUID) -> None:
    dead = RedisPresence(redis)
    await dead._heartbeat()
    await dead.connect(user, "sid-1")
    await redis.delete(dead._process_key("alive", dead.process_id))  # its lease ran out: it was killed


async def test_an_announcement_that_failed_is_made_by_the_next_round(redis):
    user = uuid.uuid4()
    await _a_dead_process_with(redis, user)
    announce = Announcer(fail_first=True)
    reaper = RedisPresence(redis)
    await reaper.start(announce)
    try:
        with pytest.raises(ConnectionError):
            await reaper.reap_dead()
        await reaper.reap_dead()
        await reaper.reap_dead()  # nothing is owed any more
    finally:
        await reaper.close()
    assert announce.calls == [[user], [user]]


async def test_an_announcement_claimed_by_a_reaper_that_died_is_made_by_another_named_for_a_short_claim(redis):
    user = uuid.uuid4()
    await _a_dead_process_with(redis, user)
    first = RedisPresence(redis, claim_expires=0.5)
    await first._reap(await _dead_process_id(redis, first))
    assert await first._claim() == [str(user).encode()]  # and then its process is killed

    announce = Announcer()
    second = RedisPresence(redis, claim_expires=0.5)
    await second.start(announce)
    try:
        await second.reap_dead()
        assert announce.calls == []  # still claimed by the first
        await asyncio.sleep(0.6)
        await second.reap_dead()
    finally:
        await second.close()
    assert announce.calls == [[user]]


async def test_a_user_who_came_back_is_not_announced_offline(redis):
    user = uuid.uuid4()
    await _a_dead_process_with(redis, user)
    announce = Announcer()
    reaper = RedisPresence(redis)
    await reaper.start(announce)
    try:
        await reaper._reap(await _dead_process_id(redis, reaper))
        await reaper.connect(user, "sid-2")  # reconnected elsewhere before the announcement
        await reaper.reap_dead()
    finally:
        await reaper.close()
    assert announce.calls == []


async def _dead_process_id(redis: Redis, alive: RedisPresence) -> str:
    for raw in await redis.smembers(alive._procs_key):
        if raw.decode() != alive.process_id:
            return raw.decode()
    raise AssertionError("no dead process")
