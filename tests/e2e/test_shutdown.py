"""SIGTERM under connected apps: their transports close at once, they reconnect by themselves
(through a load balancer, to the other process), and nothing they were acked is lost.

Both clients are the ones apps use, with their default reconnection on: python-socketio's and
the official JavaScript client (tests/js/client.mjs, scenario `shutdown`).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

import pytest
import socketio

from tests.realtime.test_js_client import JS_DIR, NODE, SCRIPT
from tests.realtime.test_js_client import pytestmark as needs_node
from tests.support.balancer import Balancer
from tests.support.chat import nonce, workspace_with_channel

pytestmark = pytest.mark.timeout(120)

EXIT_WITHIN = 5.0  # seconds from SIGTERM to the process's exit


class App:
    """A python-socketio client as an app holds it: reconnection on, every event recorded."""

    def __init__(self, transports: list[str]) -> None:
        self.transports = transports
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.1, reconnection_delay_max=0.5)
        self.readies = 0
        self.reasons: list[str] = []
        self.sio.on("ready", self._on_ready)
        self.sio.on("disconnect", self._on_disconnect)

    async def _on_ready(self, data: Any) -> None:
        self.readies += 1

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.reasons.append(str(reason))

    async def until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{self.transports}: {what} did not happen within {timeout}s"
            await asyncio.sleep(0.05)


async def _stop_and_time(process) -> float:
    started = time.monotonic()
    process.terminate()
    await asyncio.wait_for(process.process.wait(), 20)
    assert process.process.returncode == 0
    return time.monotonic() - started


@pytest.mark.cluster(count=2)
async def test_python_socketio_clients_reconnect_by_themselves_to_the_other_process(cluster, nodes):
    balancer = Balancer([process.port for process in cluster.processes])
    await balancer.start()
    try:
        account, watcher = await nodes[0].account(), await nodes[1].account()
        room = await workspace_with_channel(nodes[0], account, watcher)
        apps = [App(["websocket"]), App(["polling"]), App(["polling", "websocket"])]
        for app in apps:
            await app.sio.connect(balancer.url, auth={"token": account.access_token}, transports=app.transports,
                                  wait_timeout=5)
            await app.until(lambda app=app: app.readies == 1, 5, "ready")
        acked = []
        for app in apps:
            ack = await app.sio.call("message:send", {"channelId": room.channel_id, "content": f"before {app.transports}",
                                                      "nonce": nonce()}, timeout=5)
            assert ack["ok"], ack
            acked.append(ack["data"]["message"]["id"])

        took = await _stop_and_time(cluster.processes[0])
        assert took <= EXIT_WITHIN, f"the process took {took:.1f}s to exit"

        for app in apps:
            await app.until(lambda app=app: app.readies == 2, 10, "reconnecting and a second ready")
            assert app.reasons and app.reasons[0] != "server disconnect", app.reasons
            ack = await app.sio.call("message:send", {"channelId": room.channel_id, "content": f"after {app.transports}",
                                                      "nonce": nonce()}, timeout=5)
            assert ack["ok"], ack
            acked.append(ack["data"]["message"]["id"])
            await app.sio.disconnect()

        history = await nodes[1].request("GET", f"/api/v1/channels/{room.channel_id}/messages?limit=50",
                                         token=watcher.access_token)
        stored = [message["id"] for message in history.body["messages"]]
        assert sorted(stored) == sorted(acked) and len(stored) == len(set(stored))
    finally:
        await balancer.stop()


@needs_node[0]
@needs_node[1]
@pytest.mark.cluster(count=2)
async def test_the_js_client_reconnects_by_itself_to_the_other_process(cluster, nodes):
    balancer = Balancer([process.port for process in cluster.processes])
    await balancer.start()
    try:
        account = await nodes[0].account()
        room = await workspace_with_channel(nodes[0], account)
        node = await asyncio.create_subprocess_exec(
            NODE, str(SCRIPT), "shutdown", cwd=JS_DIR,
            env={**os.environ, "CHAT_URL": balancer.url, "CHAT_TOKEN": account.access_token,
                 "CHAT_CHANNEL_ID": room.channel_id},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        observed: list[dict] = []
        try:
            while not observed or observed[-1]["step"] not in ("ready", "failed"):
                line = await asyncio.wait_for(node.stdout.readline(), 15)
                assert line, (observed, (await node.stderr.read()).decode())
                observed.append(json.loads(line))
            assert observed[-1]["step"] == "ready", observed
            took = await _stop_and_time(cluster.processes[0])
            rest, errors = await asyncio.wait_for(node.communicate(), 25)
        finally:
            if node.returncode is None:
                node.kill()
        observed += [json.loads(line) for line in rest.decode().splitlines() if line.strip()]
        assert node.returncode == 0, (observed, errors.decode())
        assert took <= EXIT_WITHIN, f"the process took {took:.1f}s to exit"
        reasons = {line["mode"]: line["reason"] for line in observed if line["step"] == "disconnected"}
        assert reasons == {"default": "transport close", "websocket-only": "transport close"}, reasons
        resumed = [line for line in observed if line["step"] == "resumed"]
        assert {line["mode"] for line in resumed} == {"default", "websocket-only"}
    finally:
        await balancer.stop()
