"""`chatserver worker`: the periodic tasks in a process of their own (the Procfile's `worker`).

Web processes can run the same tasks themselves (PERIODIC_JOBS_INTERVAL); in a
deployment with a worker, set it to 0 on the web processes. Every task is
idempotent, so an overlap does no harm.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from chatserver.periodic import run_once
from chatserver.services import open_services
from chatserver.settings import Settings

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, once: bool = False) -> None:
    interval = settings.periodic_jobs_interval or 3600
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with open_services(settings) as svc:
        await svc.broker.start()  # tasks may publish events (notifications) to connected users
        while True:
            log.info("running periodic tasks")
            await run_once(svc)
            if once:
                return
            try:
                await asyncio.wait_for(stop.wait(), interval)
                return
            except TimeoutError:
                continue
