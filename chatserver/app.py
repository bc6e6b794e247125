"""The application factory: one aiohttp app with the HTTP API and Socket.IO mounted on it.

Every resource is opened and closed by a `cleanup_ctx` generator, in order:
database, broker, services, realtime.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from chatserver.actions.context import Services
from chatserver.broker import MemoryBroker
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
from chatserver.presence import MemoryPresence, MemoryTyping
from chatserver.ratelimit import MemoryRateLimiter
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


async def _services(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    url, embedded = await database_url(settings)
    db = await connect(url, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    if settings.migrate_on_start:
        async with db.connection() as conn:
            applied = await apply_pending(conn)
        if applied:
            log.info("migrations applied", extra={"migrations": applied})
    broker = MemoryBroker()
    await broker.start()
    mailer = SmtpMailer(settings.smtp_url, settings.mail_from) if settings.smtp_url \
        else FileOutbox(settings.data_dir / "outbox", settings.mail_from)
    svc = Services(settings=settings, db=db, broker=broker, mailer=mailer, presence=MemoryPresence(),
                   typing=MemoryTyping(), limiter=MemoryRateLimiter(),
                   files=LocalFileStore(settings.data_dir / "uploads"))
    app[SERVICES] = svc
    realtime = app[REALTIME]
    realtime.start(svc)
    yield
    await realtime.close()
    await broker.close()
    await db.close()
    if embedded is not None:
        embedded.stop()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[request_context], client_max_size=settings.max_request_bytes)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(periodic_jobs)  # after _services: it uses them
    app[REALTIME] = Realtime(settings)
    app[REALTIME].attach(app)
    health.add_routes(app)
    apis = [module.api for module in API_MODULES]
    for api in apis:
        api.add_to(app)
    openapi.add_routes(app, apis)
    return app
