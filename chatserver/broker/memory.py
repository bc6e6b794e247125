"""The in-process broker: one server process, no Redis. Also the test double."""

from __future__ import annotations

import logging

from chatserver import metrics
from chatserver.broker.base import Deliver, Event

log = logging.getLogger(__name__)


class MemoryBroker:
    def __init__(self) -> None:
        self._deliverers: list[Deliver] = []

    def on_event(self, deliver: Deliver) -> None:
        self._deliverers.append(deliver)

    async def publish(self, event: Event) -> None:
        metrics.EVENTS_PUBLISHED.labels(event.name).inc()
        for deliver in self._deliverers:
            try:
                await deliver(event)
            except Exception:
                log.exception("delivering %s failed", event.name)

    def interest(self, room: str, wanted: bool) -> None:
        return None  # one process: every event is already here

    def healthy(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._deliverers.clear()
