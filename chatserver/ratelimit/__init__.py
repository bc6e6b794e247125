"""Per-user rate limits: a token bucket per (action, user), in memory or in Redis."""

from chatserver.ratelimit.base import RateLimiter, Rule, parse_rule
from chatserver.ratelimit.memory import MemoryRateLimiter

__all__ = ["MemoryRateLimiter", "RateLimiter", "Rule", "parse_rule"]
