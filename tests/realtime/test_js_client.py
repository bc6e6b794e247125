"""Browser compatibility: the official socket.io-client 4.x (in Node) against a real server.

tests/js/client.mjs runs one scenario and prints what it observed as JSON lines; these tests set
up the accounts and channels over HTTP, run it, and assert on its observations.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.chat import workspace_with_channel
from tests.support.server import RunningServer

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "client.mjs"
NODE = shutil.which("node")
NODE_TIMEOUT = 30.0  # the script gives up by itself after 20 s

pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JS client tests need Node.js 18+"),
    pytest.mark.skipif(not (JS_DIR / "node_modules" / "socket.io-client").is_dir(),
                       reason="tests/js/node_modules is missing: run scripts/bootstrap --test "
                              "(or npm install --prefix tests/js)"),
]


async def run_scenario(server: RunningServer, scenario: str, **env: str) -> list[dict[str, Any]]:
    """Run one scenario of client.mjs against `server`; its observations, one dict per line."""
    # Tokens go through the environment, not argv, so they do not show in the process list.
    process = await asyncio.create_subprocess_exec(
        NODE, str(SCRIPT), scenario, cwd=JS_DIR,
        env={**os.environ, "CHAT_URL": server.url, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"client.mjs {scenario} did not finish within {NODE_TIMEOUT}s") from None
    observed = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    assert process.returncode == 0, f"client.mjs {scenario} failed: {observed}\n{stderr.decode()}"
    return observed


def steps(observed: list[dict[str, Any]], step: str) -> list[dict[str, Any]]:
    return [line for line in observed if line["step"] == step]


async def test_a_connection_without_a_valid_token_gets_connect_error_unauthorized(server):
    observed = await run_scenario(server, "refused")
    refusals = steps(observed, "connect_error")
    assert {(r["mode"], r["attempt"]) for r in refusals} == {
        (mode, attempt) for mode in ("default", "websocket-only") for attempt in ("no token", "bad token")}
    for refusal in refusals:
        assert refusal["data"]["code"] == "unauthorized", refusal
        assert refusal["message"]


async def test_a_connection_with_a_token_gets_ready_over_polling_with_upgrade_and_websocket_only(server):
    account = await server.account("jsdora")
    observed = await run_scenario(server, "ready", CHAT_TOKEN=account.access_token)
    by_mode = {line["mode"]: line for line in steps(observed, "ready")}
    assert by_mode["default"]["openedWith"] == "polling"
    assert by_mode["default"]["upgradedTo"] == "websocket"
    assert by_mode["websocket-only"]["openedWith"] == "websocket"
    for line in by_mode.values():
        assert line["transportNow"] == "websocket"
        assert line["ready"]["user"]["id"] == account.id
        assert line["ready"]["user"]["username"] == "jsdora"
        assert line["ready"]["channels"] == [] and line["ready"]["conversations"] == []
        assert line["roundTrip"] == {"ok": True, "data": {"channels": {}, "conversations": {}}}


@pytest.fixture
async def channel_pair(server):
    """Two people in one channel: the environment client.mjs needs for its two-app scenarios."""
    alice, bob = await server.account("jsalice"), await server.account("jsbob")
    room = await workspace_with_channel(server, alice, bob)
    return room, {"CHAT_TOKEN": alice.access_token, "CHAT_OTHER_TOKEN": bob.access_token,
                  "CHAT_CHANNEL_ID": room.channel_id}


async def test_send_with_an_ack_reaches_the_other_app_and_bad_input_gets_errors(server, channel_pair):
    room, env = channel_pair
    observed = await run_scenario(server, "chat", **env)

    [sent] = steps(observed, "send_ack")
    assert sent["ack"]["ok"] is True
    message = sent["ack"]["data"]["message"]
    assert message["channelId"] == room.channel_id and message["userId"] == room.owner.id
    assert message["content"] == "hello from node" and message["seq"] == 1 and message["changeSeq"] == 1
    [heard] = steps(observed, "message_new")
    assert heard["data"] == {"message": message}

    [bad] = steps(observed, "bad_payload_ack")
    assert bad["ack"]["ok"] is False
    assert bad["ack"]["error"]["code"] == "invalid"
    assert {"channelId", "nonce"} <= set(bad["ack"]["error"]["details"]["fields"])

    [error] = steps(observed, "error_event")
    assert error["data"]["event"] == "message:send"
    assert error["data"]["code"] == "invalid"
    assert "nonce" in error["data"]["details"]["fields"]

    # Bad input changed nothing: the channel holds the one good message.
    history = await server.request("GET", f"/api/v1/channels/{room.channel_id}/messages",
                                   token=room.owner.access_token)
    assert [m["content"] for m in history.body["messages"]] == ["hello from node"]


async def test_after_a_dropped_connection_the_client_reconnects_and_sync_returns_what_it_missed(
        server, channel_pair):
    room, env = channel_pair
    [resync] = steps(await run_scenario(server, "resync", **env), "resync")

    assert resync["reason"] == "transport close"  # a drop, which the client recovers from by itself
    missed_ids = [m["id"] for m in resync["missed"]]
    assert not set(missed_ids) & set(resync["heardLive"]), "the messages were sent while it was away"
    assert resync["readyChannel"]["lastSeq"] == 3 and resync["readyChannel"]["lastChangeSeq"] == 3

    assert resync["sync"]["ok"] is True
    changes = resync["sync"]["data"]["channels"][room.channel_id]
    assert [m["id"] for m in changes["messages"]] == missed_ids
    assert [m["changeSeq"] for m in changes["messages"]] == [resync["held"] + 1, resync["held"] + 2]
    assert changes["lastChangeSeq"] == resync["held"] + 2 and changes["hasMore"] is False
    assert changes["messages"] == resync["missed"]
