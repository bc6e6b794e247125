"""The application factory: one aiohttp app with the HTTP API and Socket.IO mounted on it.

Resources are opened and closed by a `cleanup_ctx` generator: the database,
the state processes share (memory or Redis), the services, the realtime layer.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from redis.asyncio import Redis

from chatserver.actions import presence
from chatserver.actions.context import Services
from chatserver.broker import Broker, MemoryBroker
from chatserver.broker.redis import RedisBroker
from chatserver.db import connect
from chatserver.db.embedded import EmbeddedPostgres
from chatserver.db.migrations import apply_pending
from chatserver.files import LocalFileStore
from chatserver.http import (
    accounts,
    attachments,
    channels,
    conversations,
    health,
    messages,
    openapi,
    search,
    workspaces,
)
from chatserver.http.api import SERVICES
from chatserver.http.middleware import request_context
from chatserver.http.seed import SEED_API_MODULES
from chatserver.jobs import periodic_jobs
from chatserver.mail import FileOutbox, SmtpMailer
from chatserver.presence import MemoryPresence, MemoryTyping, PresenceTracker, TypingTracker
from chatserver.presence.redis import RedisPresence, RedisTyping
from chatserver.ratelimit import MemoryRateLimiter, RateLimiter
from chatserver.ratelimit.redis import RedisRateLimiter
from chatserver.realtime.server import Realtime
from chatserver.settings import Settings

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
REALTIME = web.AppKey("realtime", Realtime)

API_MODULES = [accounts, workspaces, channels, messages, conversations, attachments, search]
API_MODULES += SEED_API_MODULES


async def database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    return embedded.start(), embedded


@dataclass(slots=True)
class Shared:
    """What the processes of one deployment share: in memory for one process, in Redis for several."""

    broker: Broker
    presence: PresenceTracker
    typing: TypingTracker
    limiter: RateLimiter
    redis: Redis | None = None


def shared_state(settings: Settings) -> Shared:
    if not settings.redis_url:
        return Shared(MemoryBroker(), MemoryPresence(), MemoryTyping(), MemoryRateLimiter())
    client = Redis.from_url(settings.redis_url)
    return Shared(RedisBroker(settings.redis_url, mode=settings.fanout_mode), RedisPresence(client),
                  RedisTyping(client), RedisRateLimiter(client), redis=client)


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    url, embedded = await database_url(settings)
    db = await connect(url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    if settings.migrate_on_start:
        async with db.connection() as conn:
            applied = await apply_pending(conn)
        if applied:
            log.info("migrations applied", extra={"migrations": applied})
    shared = shared_state(settings)
    mailer = SmtpMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url \
        else FileOutbox(settings.data_dir / "outbox", settings.mail_from)
    svc = Services(settings=settings, db=db, broker=shared.broker, mailer=mailer, presence=shared.presence,
                   typing=shared.typing, limiter=shared.limiter,
                   files=LocalFileStore(settings.data_dir / "uploads"), redis=shared.redis)
    app[SERVICES] = svc
    realtime = app[REALTIME]
    realtime.start(svc)
    await shared.broker.start()
    await shared.presence.start(lambda users: presence.went_offline(svc, users))
    yield
    await realtime.close()
    await shared.presence.close()
    await shared.broker.close()
    if shared.redis is not None:
        await shared.redis.aclose()
    await db.close()
    if embedded is not None:
        embedded.stop()


async def _drain(app: web.Application) -> None:
    """On shutdown (SIGTERM): send sockets elsewhere, then give up this process's presence."""
    await app[REALTIME].drain()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[request_context], client_max_size=settings.max_request_bytes)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(periodic_jobs)  # after _services: it uses them
    app.on_shutdown.append(_drain)
    app[REALTIME] = Realtime(settings)
    app[REALTIME].attach(app)
    health.add_routes(app)
    apis = [module.api for module in API_MODULES]
    for api in apis:
        api.add_to(app)
    openapi.add_routes(app, apis)
    return app
