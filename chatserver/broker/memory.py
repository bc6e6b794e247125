"""The in-process broker: one server process, no Redis. Also the test double."""

from __future__ import annotations

import logging

from chatserver import metrics
from chatserver.broker.base import Deliver, Event, Subscribed

log = logging.getLogger(__name__)


class MemoryBroker:
    def __init__(self) -> None:
        self._deliverers: list[Deliver] = []
        self._subscribed: list[Subscribed] = []

    def on_event(self, deliver: Deliver) -> None:
        self._deliverers.append(deliver)

    def on_subscribed(self, subscribed: Subscribed) -> None:
        self._subscribed.append(subscribed)

    async def publish(self, event: Event) -> None:
        metrics.EVENTS_PUBLISHED.labels(event.name).inc()
        for deliver in self._deliverers:
            try:
                await deliver(event)
            except Exception:
                log.exception("delivering %s failed", event.name)

    def interest(self, room: str, wanted: bool) -> None:
        if wanted:  # one process: every event is already here
            for subscribed in self._subscribed:
                subscribed(room)

    def healthy(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._deliverers.clear()
        self._subscribed.clear()
