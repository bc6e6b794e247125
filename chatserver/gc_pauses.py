"""Keeping the garbage collector's pauses short on a server that holds many long-lived objects.

CPython's full collection walks every tracked object while the event loop stands still. Measured on
a server under the dm load (200 pairs, a busy 2-core machine): 45-120 ms before any client had
connected (the modules, pydantic's schemas, the app, the pools) and about 200 ms with 400 sockets,
once every second or two while they connected; every socket's next frame waited that long.
"""

from __future__ import annotations

import gc


def settle_after_startup() -> None:
    """Once the server is up, what is alive lives as long as the process: it leaves the collector's
    generations (`gc.freeze`), so no later collection walks it again (full ones took 40-80 ms then).
    Nothing created afterwards is frozen: a socket's objects are still collected when it goes."""
    gc.collect()
    gc.freeze()
