"""The rate limiter interface and its rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Rule:
    """`burst` actions at once, refilled at `burst / period` per second."""

    burst: int
    period: float

    @property
    def rate(self) -> float:
        return self.burst / self.period


def parse_rule(text: str) -> Rule:
    """'30/10' means 30 per 10 seconds."""
    try:
        burst, period = text.split("/")
        rule = Rule(int(burst), float(period))
    except ValueError:
        raise ValueError(f"expected COUNT/SECONDS such as 30/10, got {text!r}") from None
    if rule.burst < 1 or rule.period <= 0:
        raise ValueError(f"expected a positive count and period, got {text!r}")
    return rule


class RateLimiter(Protocol):
    async def hit(self, key: str, rule: Rule) -> float | None:
        """Take one token; None when allowed, else the seconds until one is available."""
