"""What every action is given: the services it may use and who is asking."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis

from chatserver.broker import Broker, Event
from chatserver.db import Database
from chatserver.errors import ApiError
from chatserver.files import FileStore
from chatserver.mail import Mailer
from chatserver.presence import PresenceTracker, TypingTracker
from chatserver.ratelimit import RateLimiter, Rule
from chatserver.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    db: Database
    broker: Broker
    mailer: Mailer
    presence: PresenceTracker
    typing: TypingTracker
    limiter: RateLimiter
    files: FileStore
    redis: Redis | None = None  # set when several processes share state through Redis

    async def limit(self, action: str, key: object, rule: Rule) -> None:
        """Spend one of the caller's `action` tokens, or answer `rate_limited`."""
        retry_after = await self.limiter.hit(f"{action}:{key}", rule)
        if retry_after is not None:
            raise ApiError("rate_limited", f"too many {action} requests",
                           {"retryAfter": round(retry_after, 3)})

    async def publish(self, *events: Event) -> None:
        """Call only after the commit: a subscriber may read what the event names."""
        for event in events:
            try:
                await self.broker.publish(event)
            except Exception:
                # The write is committed; a lost notification is repaired by `sync`.
                log.exception("publishing %s failed", event.name)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: UUID
    session_id: UUID
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
