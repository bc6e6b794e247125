"""The lean client against a real python-socketio server, side by side with python-socketio's
own AsyncClient: the same script must give the same observations."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio

from loadtest.client import ConnectRefused, LeanSocket, new_session
from tests.loadtest.sioapp import serving

BURST = 300


def make_server() -> socketio.AsyncServer:
    # A short ping interval and timeout: a client that did not answer pings would be dropped.
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=0.3, ping_timeout=0.5)
    answers: dict[str, Any] = {}

    @sio.event
    async def connect(sid, environ, auth):
        if not isinstance(auth, dict) or auth.get("token") != "good":
            raise socketio.exceptions.ConnectionRefusedError("no entry", {"code": "unauthorized"})
        await sio.enter_room(sid, "room")

    @sio.on("echo")
    async def echo(sid, data):
        return {"ok": True, "data": data}

    @sio.on("pair")
    async def pair(sid):
        return 1, "two"

    @sio.on("burst")
    async def burst(sid, data):
        for i in range(data["count"]):
            await sio.emit("tick", {"i": i, "from": data["who"]}, to="room")

    @sio.on("ask-me")
    async def ask_me(sid, question):
        answers[sid] = await sio.call("question", question, to=sid, timeout=5)
        return answers[sid]

    @sio.on("kick")
    async def kick(sid, _data=None):
        await sio.disconnect(sid)

    return sio


class Lean:
    def __init__(self, session) -> None:
        self.sock = LeanSocket(session)
        self.gone = asyncio.Event()
        self.sock.on("disconnect", lambda reason: self.gone.set())

    def on(self, event, handler) -> None:
        self.sock.on(event, handler)

    async def connect(self, url, auth) -> Any:
        try:
            await self.sock.connect(url, auth, timeout=5)
        except ConnectRefused as refused:
            return ("refused", refused.data)
        return "connected"

    async def call(self, event, *args) -> Any:
        return await self.sock.call(event, *args, timeout=5)

    async def emit(self, event, data) -> None:
        await self.sock.emit(event, data)

    async def close(self) -> None:
        await self.sock.close()


class Reference:
    def __init__(self, _session) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.gone = asyncio.Event()
        self.refusal: Any = None
        self.sio.on("disconnect", lambda *reason: self.gone.set())
        self.sio.on("connect_error", self._refused)

    def _refused(self, data) -> None:
        self.refusal = data

    def on(self, event, handler) -> None:
        self.sio.on(event, handler)

    async def connect(self, url, auth) -> Any:
        try:
            await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            return ("refused", self.refusal)
        return "connected"

    async def call(self, event, *args) -> Any:
        return await self.sio.call(event, args[0] if len(args) == 1 else (args or None), timeout=5)

    async def emit(self, event, data) -> None:
        await self.sio.emit(event, data)

    async def close(self) -> None:
        await self.sio.disconnect()


async def observe(kind, url: str, session) -> dict[str, Any]:
    """Run one script with client class `kind` and return what it saw."""
    seen: dict[str, Any] = {}
    refused = kind(session)
    seen["bad auth"] = await refused.connect(url, {"token": "bad"})

    client, other = kind(session), kind(session)
    ticks: list[Any] = []
    other_ticks: list[Any] = []
    done = asyncio.Event()

    def on_tick(data) -> None:
        ticks.append(data)
        if len(ticks) == BURST:
            done.set()

    client.on("tick", on_tick)
    other.on("tick", other_ticks.append)
    client.on("question", lambda q: {"answer": q["n"] * 2})
    seen["connect"] = await client.connect(url, {"token": "good"})
    await other.connect(url, {"token": "good"})
    seen["echo"] = await client.call("echo", {"text": "héllo", "n": [1, 2.5, None, True]})
    seen["pair"] = await client.call("pair")
    await client.emit("burst", {"count": BURST, "who": "me"})
    await asyncio.wait_for(done.wait(), 10)
    seen["ticks"] = ticks
    seen["server asks"] = await client.call("ask-me", {"n": 21})
    await asyncio.sleep(1.2)  # several ping intervals: pongs must keep the socket alive
    seen["alive after pings"] = not client.gone.is_set()
    seen["echo after pings"] = await client.call("echo", 1)
    await client.emit("kick", None)
    await asyncio.wait_for(client.gone.wait(), 5)
    seen["kicked"] = True
    await asyncio.sleep(0.1)
    seen["other got the burst in order"] = other_ticks == ticks
    await other.close()
    return seen


async def test_lean_client_behaves_like_async_client():
    async with serving(make_server()) as url, new_session() as session:
        reference = await observe(Reference, url, session)
        lean = await observe(Lean, url, session)
    assert reference["bad auth"] == ("refused", {"message": "no entry", "data": {"code": "unauthorized"}})
    assert reference["ticks"] == [{"i": i, "from": "me"} for i in range(BURST)]
    assert reference["server asks"] == {"answer": 42}
    assert lean == reference
