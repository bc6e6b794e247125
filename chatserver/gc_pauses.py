"""Keeping the garbage collector's pauses short on a server that holds many long-lived objects.

CPython's full collection walks every tracked object while the event loop stands still, and it
comes each time the objects that survived younger collections have grown by a quarter. Measured
with 5,000 idle sockets (about 72 tracked objects each): 220 ms a full collection, and while they
connected, six of them (190-270 ms), 8 % of the server's CPU; every socket's next frame waited.

So what survives a full collection leaves the collector's generations (`gc.freeze`): the next full
collection walks only what is new since, and its pause follows what changed, not what is held.
That is safe because a closed connection leaves no reference cycle (its objects go by reference
counting, frozen or not: realtime/websocket.py). Cyclic garbage among frozen objects, from
anything else, would stay; so everything is collected once more (`gc.unfreeze`, one full pause)
when what is frozen has doubled since the last time, which bounds what such garbage can hold.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)

MAJOR_GROWTH = 2.0  # everything is collected again once the frozen objects are this many times more
MAJOR_CHECK_INTERVAL = 60.0  # seconds


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


async def keep_pauses_short(interval: float = MAJOR_CHECK_INTERVAL, growth: float = MAJOR_GROWTH) -> None:
    """For the server's lifetime, once it is up: what is alive then (the modules, pydantic's schemas,
    the app, the pools) is frozen, then the survivors of each full collection; a full collection of
    everything runs when the frozen objects have grown `growth` times. Cancelled: back to CPython's way."""
    gc.collect()
    gc.freeze()
    settled = gc.get_freeze_count()
    gc.callbacks.append(_freeze_survivors)
    try:
        while True:
            await asyncio.sleep(interval)
            if gc.get_freeze_count() >= growth * settled:
                started, frozen = time.perf_counter(), gc.get_freeze_count()
                gc.unfreeze()
                gc.collect()  # (what survives it is frozen again by the callback)
                settled = gc.get_freeze_count()
                log.info("full garbage collection of the long-lived objects", extra={
                    "ms": round((time.perf_counter() - started) * 1000, 1), "before": frozen, "after": settled})
    finally:
        gc.callbacks.remove(_freeze_survivors)
        gc.unfreeze()
