"""Token buckets in Redis, shared by every process: one atomic script per hit, on one key (so on
one node of a Redis Cluster)."""

from __future__ import annotations

import logging
import time

import redis.asyncio as redis

from chatserver.ratelimit.base import Rule

log = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: burst, rate per second, now. Returns 0 when allowed, else milliseconds to wait.
_HIT = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens < 1 then
  wait = math.ceil((1 - tokens) / rate * 1000)
else
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


class RedisRateLimiter:
    def __init__(self, client: redis.Redis | redis.RedisCluster, *, prefix: str = "chat:rl:") -> None:
        self.prefix = prefix
        self.redis = client

    async def hit(self, key: str, rule: Rule) -> float | None:
        try:
            # EVAL, as every script here: Redis caches it by digest, and no node ever answers NOSCRIPT.
            wait_ms = await self.redis.eval(_HIT, 1, self.prefix + key, rule.burst, rule.rate, time.time())
        except redis.RedisError as exc:
            # Without Redis the limit cannot be counted; letting the action through keeps the chat usable.
            log.warning("rate limiter unavailable, allowing: %s", exc)
            return None
        return wait_ms / 1000 if wait_ms else None
