"""Real python-socketio clients against the test server."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

OPEN: set[Client] = set()  # closed by the server fixture, so a test that forgets cannot stall teardown


class Client:
    """An AsyncClient that records every event it receives, for assertions."""

    def __init__(self) -> None:
        OPEN.add(self)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()
        self.connect_error: Any = None
        self.disconnected = asyncio.Event()
        self.sio.on("*", self._record)
        self.sio.on("connect_error", self._on_connect_error)
        self.sio.on("disconnect", self._on_disconnect)

    async def _record(self, event: str, *args: Any) -> None:
        self.events.append((event, args[0] if len(args) == 1 else args))
        self._arrived.set()

    async def _on_connect_error(self, data: Any) -> None:
        self.connect_error = data

    async def _on_disconnect(self, *args: Any) -> None:
        self.disconnected.set()

    async def connect(self, url: str, token: str | None, *, transports: list[str] | None = None,
                      auth_options: dict[str, Any] | None = None) -> None:
        auth = {"token": token} if token is not None else None
        if auth_options:
            auth = (auth or {}) | auth_options
        await self.sio.connect(url, auth=auth, transports=transports or ["websocket"], wait_timeout=5)

    async def wait_for(self, name: str, *, timeout: float = 5.0, where=lambda data: True) -> Any:
        """The first recorded `name` event whose data satisfies `where`, waiting for it if needed."""
        deadline = asyncio.get_running_loop().time() + timeout
        seen = 0
        while True:
            for event, data in self.events[seen:]:
                if event == name and where(data):
                    return data
            seen = len(self.events)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {timeout}s; got {[e for e, _ in self.events]}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def call(self, event: str, data: Any = None, *, timeout: float = 5.0) -> Any:
        return await self.sio.call(event, data, timeout=timeout)

    async def close(self) -> None:
        OPEN.discard(self)
        await self.sio.disconnect()


async def close_all() -> None:
    for client in list(OPEN):
        await client.close()
