"""Periodic tasks: idempotent work on a timer (daily activity summaries, marketplace listing expiry,
expired AI context purge, analytics partitions made ahead, data retention, embeddings of changed
content), apart from job postings.

Web processes run them every PERIODIC_JOBS_INTERVAL seconds (chatserver/app.py); `chatserver
worker` runs them in a process of its own. Each task is idempotent, so several processes running
them, or a run after a restart, do no harm.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from chatserver.actions import (
    activity,
    analytics,
    marketplace,
    retention,
    similarity,
    smilefactory_ai,
)
from chatserver.actions.context import Services
from chatserver.errors import ApiError

log = logging.getLogger(__name__)

PERIODIC_TASKS: list[Callable[[Services], Awaitable[None]]] = [activity.summarise_recent_days,
                                                              marketplace.expire_listings,
                                                              smilefactory_ai.purge_expired_context,
                                                              analytics.create_partitions,
                                                              retention.apply_policies,
                                                              similarity.embed_pending]


async def run_once(svc: Services) -> None:
    for task in PERIODIC_TASKS:
        try:
            await task(svc)
        except ApiError as error:  # PostgreSQL away: the next run does it (each task is idempotent)
            log.warning("periodic task %s skipped: %s", task.__name__, error.message)
        except Exception:
            log.exception("periodic task %s failed", task.__name__)


async def run_every(svc: Services, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await run_once(svc)
