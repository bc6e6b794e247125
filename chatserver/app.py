"""The application factory: one aiohttp app with the HTTP API and Socket.IO mounted on it.

Resources are opened and closed by a `cleanup_ctx` generator: the database,
the state processes share (memory or Redis), the services, the realtime layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from functools import partial

from aiohttp import web

from chatserver.actions import presence
from chatserver.background import cancel
from chatserver.db.roles import warn_if_bypassing
from chatserver.http import (
    accounts,
    attachments,
    channels,
    conversations,
    health,
    messages,
    openapi,
    privacy,
    search,
    web_client,
    workspaces,
)
from chatserver.http.api import SERVICES
from chatserver.http.middleware import request_context
from chatserver.http.seed import SEED_API_MODULES
from chatserver.periodic import run_every
from chatserver.realtime.server import Realtime
from chatserver.services import open_services
from chatserver.settings import Settings

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
REALTIME = web.AppKey("realtime", Realtime)

API_MODULES = [accounts, privacy, workspaces, channels, messages, conversations, attachments, search]
API_MODULES += SEED_API_MODULES


async def _services(app: web.Application) -> AsyncIterator[None]:
    async with open_services(app[SETTINGS]) as svc:
        app[SERVICES] = svc
        async with svc.db.connection() as conn:
            await warn_if_bypassing(conn)  # once per server start, not in every operator command
        realtime = app[REALTIME]
        realtime.start(svc)
        await svc.broker.start()
        await svc.presence.start(partial(presence.went_offline, svc))
        yield
        await realtime.close()


async def _periodic_tasks(app: web.Application) -> AsyncIterator[None]:
    """Started once the services exist, stopped before they close."""
    svc = app[SERVICES]
    interval = svc.settings.periodic_jobs_interval
    task = asyncio.get_running_loop().create_task(run_every(svc, interval)) if interval > 0 else None
    yield
    await cancel(task)


async def _drain(app: web.Application) -> None:
    """On shutdown (SIGTERM): send sockets elsewhere, then give up this process's presence."""
    await app[REALTIME].drain()


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[request_context], client_max_size=settings.max_request_bytes)
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_services)
    app.cleanup_ctx.append(_periodic_tasks)  # after _services: it uses them
    app.on_shutdown.append(_drain)
    app[REALTIME] = Realtime(settings)
    app[REALTIME].attach(app)
    health.add_routes(app)
    web_client.add_routes(app)  # the web chat client at /
    apis = [module.api for module in API_MODULES]
    for api in apis:
        api.add_to(app)
    openapi.add_routes(app, apis)
    return app
