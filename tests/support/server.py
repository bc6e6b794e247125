"""A real server on a real TCP port, in the test's event loop, and an HTTP client for it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from chatserver.app import create_app
from chatserver.settings import Settings


@dataclass
class Response:
    status: int
    body: Any
    headers: CIMultiDict[str]


@dataclass
class Account:
    """A registered, signed-in user as a client app would hold it."""

    id: str
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    session_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass
class RunningServer:
    url: str
    settings: Settings
    runner: web.AppRunner
    http: aiohttp.ClientSession

    @property
    def app(self) -> web.Application:
        return self.runner.app

    @property
    def outbox(self) -> Path:
        return self.settings.data_dir / "outbox"

    async def request(self, method: str, path: str, *, token: str | None = None, json: Any = None,
                      data: Any = None, headers: dict[str, str] | None = None) -> Response:
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url + path, json=json, data=data, headers=headers) as resp:
            text = await resp.text()
            try:
                body = await resp.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Response(resp.status, body, CIMultiDict(resp.headers))

    async def account(self, username: str | None = None, password: str = "correct horse battery") -> Account:
        """Register and sign in a new user."""
        username = username or f"user{uuid.uuid4().hex[:12]}"
        email = f"{username}@example.com"
        created = await self.request("POST", "/api/v1/auth/register",
                                     json={"email": email, "username": username, "password": password})
        assert created.status == 201, created.body
        tokens = await self.request("POST", "/api/v1/auth/login", json={"login": username, "password": password})
        assert tokens.status == 200, tokens.body
        body = tokens.body
        return Account(id=body["user"]["id"], username=username, email=email, password=password,
                       access_token=body["accessToken"], refresh_token=body["refreshToken"],
                       session_id=body["sessionId"])


async def start_server(settings: Settings) -> RunningServer:
    runner = web.AppRunner(create_app(settings), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the port the OS chose
    http = aiohttp.ClientSession()
    return RunningServer(url=f"http://127.0.0.1:{port}", settings=settings, runner=runner, http=http)


async def stop_server(server: RunningServer) -> None:
    await server.http.close()
    await server.runner.cleanup()


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait until the server's state satisfies `condition` (polled: the server has no event for it)."""
    async with asyncio.timeout(timeout):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)
