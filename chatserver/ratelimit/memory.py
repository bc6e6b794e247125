"""Token buckets in a dict, for one process."""

from __future__ import annotations

import time

from chatserver.ratelimit.base import Rule

_MAX_KEYS = 100_000


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    async def hit(self, key: str, rule: Rule) -> float | None:
        now = time.monotonic()
        tokens, at = self._buckets.get(key, (float(rule.burst), now))
        tokens = min(float(rule.burst), tokens + (now - at) * rule.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rule.rate
        if len(self._buckets) >= _MAX_KEYS:
            self._forget_full(now)
        self._buckets[key] = (tokens - 1.0, now)
        return None

    def _forget_full(self, now: float) -> None:
        """Drop buckets old enough to have refilled; they hold nothing worth keeping."""
        self._buckets = {key: value for key, value in self._buckets.items() if now - value[1] < 60}
