"""What every action is given: the services it may use and who is asking."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from uuid import UUID

from redis.asyncio import Redis

from chatserver.broker import Broker, Event
from chatserver.db import Database
from chatserver.db.group_commit import GroupCommit
from chatserver.errors import ApiError
from chatserver.files import FileStore
from chatserver.mail import Mailer
from chatserver.presence import PresenceTracker, TypingTracker
from chatserver.ratelimit import RateLimiter, Rule
from chatserver.security.passwords import Passwords
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
    passwords: Passwords
    redis: Redis | None = None  # set when several processes share state through Redis
    writes: GroupCommit = field(default_factory=GroupCommit)  # concurrent writes to one stream, batched

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
            except Exception as exc:
                # The write is committed; a lost notification is repaired by `sync` (and, for a stream,
                # read back from PostgreSQL by the receiving processes: realtime.ordering).
                log.warning("publishing %s failed: %s", event.name, exc)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    user_id: UUID
    session_id: UUID
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
