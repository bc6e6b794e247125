"""Opening and closing what actions need: the database, the shared state, mail and files.

The web server (chatserver.app) and the periodic-job worker (chatserver.worker) both start here.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis, RedisCluster

from chatserver.actions.context import Services
from chatserver.broker import Broker, MemoryBroker
from chatserver.broker.redis import RedisBroker
from chatserver.db import Database, connect
from chatserver.db.embedded import EmbeddedPostgres
from chatserver.db.migrations import apply_pending, migrate
from chatserver.db.roles import EMBEDDED_APP_ROLE, DatabaseUrls, create_app_role, with_user
from chatserver.files import LocalFileStore
from chatserver.mail import FileOutbox, SmtpMailer
from chatserver.presence import MemoryPresence, MemoryTyping, PresenceTracker, TypingTracker
from chatserver.presence.redis import RedisPresence, RedisTyping
from chatserver.ratelimit import MemoryRateLimiter, RateLimiter
from chatserver.ratelimit.redis import RedisRateLimiter
from chatserver.security.passwords import Passwords
from chatserver.settings import Settings

log = logging.getLogger(__name__)


async def database_urls(settings: Settings) -> tuple[DatabaseUrls, EmbeddedPostgres | None]:
    """Who serves and who migrates (chatserver/db/roles.py); the embedded server creates its application role."""
    if settings.database_url:
        return DatabaseUrls(app=settings.database_url, owner=settings.database_owner_url or settings.database_url), None
    embedded = EmbeddedPostgres(settings.data_dir)
    superuser = embedded.start()
    await create_app_role(superuser)
    return DatabaseUrls(app=with_user(superuser, EMBEDDED_APP_ROLE), owner=superuser), embedded


async def migrate_for(db: Database, urls: DatabaseUrls) -> list[str]:
    """Migrate as the owner; when that is another role than the pool's, grant the pool's role its use."""
    async with db.connection() as conn:
        if not urls.separate:
            return await apply_pending(conn)
        app_role = await conn.fetchval("SELECT current_user")
    return await migrate(urls.owner, grant_to=app_role)


@dataclass(slots=True)
class Shared:
    """What the processes of one deployment share: in memory for one process, in Redis for several."""

    broker: Broker
    presence: PresenceTracker
    typing: TypingTracker
    limiter: RateLimiter
    redis: Redis | RedisCluster | None = None


def shared_state(settings: Settings) -> Shared:
    if not settings.redis_url:
        return Shared(MemoryBroker(), MemoryPresence(), MemoryTyping(), MemoryRateLimiter())
    # A cluster client routes each command to the node owning its key's slot, following MOVED by itself.
    client = (RedisCluster if settings.redis_cluster else Redis).from_url(settings.redis_url)
    broker = RedisBroker(settings.redis_url, mode=settings.fanout_mode, cluster=settings.redis_cluster)
    return Shared(broker, RedisPresence(client), RedisTyping(client), RedisRateLimiter(client), redis=client)


def passwords(settings: Settings) -> Passwords:
    return Passwords(memory_kib=settings.password_hash_memory, time_cost=settings.password_hash_time,
                     parallelism=settings.password_hash_parallelism)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Services ready for actions; the broker and presence are started by whoever delivers to sockets."""
    urls, embedded = await database_urls(settings)
    db = await connect(urls.app, min_size=settings.db_pool_min, max_size=settings.db_pool_max,
                       connect_timeout=settings.db_connect_timeout, command_timeout=settings.db_command_timeout,
                       plan_cache_mode=settings.db_plan_cache_mode)
    shared = shared_state(settings)
    try:
        if settings.migrate_on_start:
            applied = await migrate_for(db, urls)
            if applied:
                log.info("migrations applied", extra={"migrations": applied})
        mailer = SmtpMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url \
            else FileOutbox(settings.data_dir / "outbox", settings.mail_from)
        yield Services(settings=settings, db=db, broker=shared.broker, mailer=mailer, presence=shared.presence,
                       typing=shared.typing, limiter=shared.limiter,
                       files=LocalFileStore(settings.data_dir / "uploads"), passwords=passwords(settings),
                       redis=shared.redis)
    finally:
        await shared.presence.close()
        await shared.broker.close()
        if shared.redis is not None:
            await shared.redis.aclose()
        await db.close()
        if embedded is not None:
            embedded.stop()
