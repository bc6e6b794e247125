"""A python-socketio server on a real port in the test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import socketio
from aiohttp import web


@asynccontextmanager
async def serving(sio: socketio.AsyncServer) -> AsyncIterator[str]:
    """Serve `sio` on 127.0.0.1 and yield its base URL."""
    app = web.Application()
    sio.attach(app, socketio_path="/socket.io/")
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
