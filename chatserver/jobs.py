"""Periodic jobs, run inside the server process every PERIODIC_JOBS_INTERVAL seconds.

Each job is idempotent, so several processes running them, or a run after a restart,
do no harm. Hooked into the app by chatserver/app.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from chatserver.actions import activity
from chatserver.actions.context import Services
from chatserver.background import cancel
from chatserver.errors import ApiError
from chatserver.http.api import SERVICES

log = logging.getLogger(__name__)

PERIODIC_JOBS: list[Callable[[Services], Awaitable[None]]] = [activity.summarise_recent_days]


async def run_once(svc: Services) -> None:
    for job in PERIODIC_JOBS:
        try:
            await job(svc)
        except ApiError as error:  # PostgreSQL away: the next run does it (each job is idempotent)
            log.warning("periodic job %s skipped: %s", job.__name__, error.message)
        except Exception:
            log.exception("periodic job %s failed", job.__name__)


async def _every(svc: Services, interval: int) -> None:
    while True:
        await asyncio.sleep(interval)
        await run_once(svc)


async def periodic_jobs(app: web.Application) -> AsyncIterator[None]:
    """A cleanup_ctx: starts the loop once the services exist, stops it before they close."""
    svc = app[SERVICES]
    interval = svc.settings.periodic_jobs_interval
    task = asyncio.get_running_loop().create_task(_every(svc, interval)) if interval > 0 else None
    yield
    await cancel(task)
