"""What every action is given: the services it may use and who is asking."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from uuid import UUID

from redis.asyncio import Redis, RedisCluster

from chatserver.broker import Broker, Event
from chatserver.db import Database, open_transaction
from chatserver.db.group_commit import GroupCommit
from chatserver.errors import rate_limited
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
    redis: Redis | RedisCluster | None = None  # set when several processes share state through Redis
    writes: GroupCommit = field(default_factory=GroupCommit)  # concurrent writes to one stream, batched

    async def limit(self, action: str, key: object, rule: Rule) -> None:
        """Spend one of the caller's `action` tokens, or answer `rate_limited`."""
        retry_after = await self.limiter.hit(f"{action}:{key}", rule)
        if retry_after is not None:
            raise rate_limited(f"too many {action} requests", retry_after=round(retry_after, 3))

    def publish_after_commit(self, *events: Event) -> None:
        """The one way a write tells others: queue its events on the transaction open on this task
        (`svc.db.transaction(...)`). They are published once it commits, in the order queued, so a
        receiver that reads what an event names finds it; they are dropped if it rolls back."""
        transaction = open_transaction()
        if transaction is None:
            raise RuntimeError("publish_after_commit outside a transaction: queue events inside the "
                               "`svc.db.transaction(...)` block of the write they tell of")
        transaction.after_commit(partial(self._send, events))

    async def publish(self, *events: Event) -> None:
        """Publish now what no write stands behind (typing, presence). Inside an open transaction
        this is a mistake, and fails: a receiver could read what is not committed, or hear of what
        is then rolled back."""
        transaction = open_transaction()
        if transaction is not None:
            raise RuntimeError(f"publish inside the open transaction {transaction.name!r}: "
                               "use publish_after_commit")
        await self._send(events)

    async def _send(self, events: tuple[Event, ...]) -> None:
        for event in events:
            try:
                await self.broker.publish(event)
            except Exception as exc:
                # Only a warning, by design: the write is committed and stays so; a lost event is
                # repaired by `sync` on the clients, and for a stream also by the receiving processes,
                # which read a missing change back from PostgreSQL (realtime.ordering). The brokers
                # report delivery problems themselves; what reaches here is a publish that failed.
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
