"""Pipes between the coordinator and the load processes, read without blocking the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def pipe_reader(conn: Connection, loop: asyncio.AbstractEventLoop, deliver: Callable[[Any], None],
                at_end: Any) -> threading.Thread:
    """Read messages off a pipe in a thread and hand each to `deliver` in the event loop.

    A thread, not loop.add_reader: uvloop makes the descriptor non-blocking, and then a
    large message (a round's results) can arrive in pieces and break `recv`."""
    def read() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = at_end
            try:
                loop.call_soon_threadsafe(deliver, message)
            except RuntimeError:  # the loop is closed
                return
            if message is at_end:
                return

    thread = threading.Thread(target=read, name="pipe-reader", daemon=True)
    thread.start()
    return thread
