"""PostgreSQL stops under a running server with connected clients, then comes back.

Writes answer `unavailable` within seconds (never hang, never ack what was not stored), sockets
stay connected, /readyz says 503, and the server recovers by itself: retries with the same
nonces store each message exactly once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psutil
import pytest
import socketio

from chatserver.db import connect as connect_database
from chatserver.errors import ApiError
from chatserver.settings import Settings
from tests.support.chat import connect, nonce, send, workspace_with_channel
from tests.support.postgres import StoppablePostgres
from tests.support.server import RunningServer, start_server, stop_server
from tests.support.sockets import Client, close_all

# One warning per kind of failure is what an operator sees; its text may say "Connect call failed".
pytestmark = [pytest.mark.timeout(120), pytest.mark.expect_log(r"PostgreSQL unavailable \(")]

CONNECT_TIMEOUT, COMMAND_TIMEOUT = 2, 3
# What a client may wait for an answer while PostgreSQL is away: the longer timeout and some slack.
BOUND = COMMAND_TIMEOUT + 2.0


@pytest.fixture(scope="module")
def stoppable_postgres() -> Iterator[StoppablePostgres]:
    pg = StoppablePostgres()
    yield pg
    pg.destroy()


@pytest.fixture
def own_postgres(stoppable_postgres: StoppablePostgres) -> StoppablePostgres:
    """This module's own PostgreSQL, running at the start of each test whatever the last one did."""
    stoppable_postgres.ensure_started()
    return stoppable_postgres


@pytest.fixture
async def outage_server(own_postgres: StoppablePostgres, tmp_path: Path) -> AsyncIterator[RunningServer]:
    url = await own_postgres.create_migrated_database()
    settings = Settings.from_env(
        {"RATE_LIMIT_AUTH": "100000/1", "RATE_LIMIT_SEND": "100000/1"}, database_url=url, data_dir=tmp_path,
        db_pool_min=2, db_pool_max=5, db_connect_timeout=CONNECT_TIMEOUT, db_command_timeout=COMMAND_TIMEOUT,
        log_json=False)
    running = await start_server(settings)
    yield running
    await close_all()
    await stop_server(running)


async def _timed(call) -> tuple[float, object]:
    started = time.monotonic()
    result = await call
    return time.monotonic() - started, result


async def _wait_until_ready(server: RunningServer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await server.request("GET", "/readyz")).status != 200:
        assert time.monotonic() < deadline, f"not ready again within {timeout}s"
        await asyncio.sleep(0.2)


def _assert_unavailable(ack: dict) -> None:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == "unavailable", ack
    assert ack["error"]["details"]["retryAfter"] >= 1


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_while_postgres_is_down_writes_answer_unavailable_and_retries_store_once_after(
        own_postgres, outage_server, mode):
    server = outage_server
    alice, bob = await server.account(), await server.account()
    room = await workspace_with_channel(server, alice, bob)
    a, b = await connect(server, alice), await connect(server, bob)
    first = await send(a, room.channel_id, "before the outage")
    await b.wait_for("message:new")

    await asyncio.to_thread(own_postgres.stop, mode)

    # Sends, and other writes and reads, answer `unavailable` quickly; nothing is acked as stored.
    pending = [(nonce(), f"during the outage {i}") for i in range(3)]
    for key, content in pending:
        elapsed, ack = await _timed(a.call("message:send", {"channelId": room.channel_id, "content": content,
                                                            "nonce": key}, timeout=15))
        _assert_unavailable(ack)
        assert elapsed < BOUND, f"a send took {elapsed:.1f}s to be refused"
    for event, payload in [("message:edit", {"messageId": first["id"], "version": 1, "content": "edited"}),
                           ("reaction:add", {"messageId": first["id"], "emoji": "👍"}),
                           ("channel:history", {"channelId": room.channel_id})]:
        elapsed, ack = await _timed(b.call(event, payload, timeout=15))
        _assert_unavailable(ack)
        assert elapsed < BOUND, f"{event} took {elapsed:.1f}s to be refused"

    # Over HTTP: 503 problem+json with Retry-After.
    http_nonce = nonce()
    started = time.monotonic()
    posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=alice.access_token,
                                  json={"content": "over http during the outage", "nonce": http_nonce})
    assert time.monotonic() - started < BOUND
    assert posted.status == 503, posted.body
    assert posted.headers["Content-Type"].startswith("application/problem+json")
    assert posted.body["code"] == "unavailable" and int(posted.headers["Retry-After"]) >= 1

    ready = await server.request("GET", "/readyz")
    assert ready.status == 503 and ready.body["checks"]["postgres"].startswith("failing")
    assert (await server.request("GET", "/healthz")).status == 200  # the process itself is fine

    # A new connection is refused as `unavailable`, not `unauthorized`: the token may well be good.
    late = Client()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(server.url, bob.access_token)
    assert late.connect_error["data"]["code"] == "unavailable"

    # The connected clients stay connected and see nothing that was not stored.
    assert a.sio.connected and b.sio.connected
    assert not a.disconnected.is_set() and not b.disconnected.is_set()
    assert [d["message"]["content"] for e, d in b.events if e == "message:new"] == ["before the outage"]

    await asyncio.to_thread(own_postgres.start)
    await _wait_until_ready(server)

    # The same nonces, retried, store each message once; a second retry returns the same message.
    stored = [await send(a, room.channel_id, content, nonce=key) for key, content in pending]
    again = [await send(a, room.channel_id, content, nonce=key) for key, content in pending]
    assert [m["id"] for m in again] == [m["id"] for m in stored]
    posted = await server.request("POST", f"/api/v1/channels/{room.channel_id}/messages", token=alice.access_token,
                                  json={"content": "over http during the outage", "nonce": http_nonce})
    assert posted.status == 201, posted.body

    history = await b.call("channel:history", {"channelId": room.channel_id})
    assert history["ok"], history
    messages = history["data"]["messages"]
    assert [m["content"] for m in messages] == \
        ["before the outage", *(content for _, content in pending), "over http during the outage"]
    assert [m["seq"] for m in messages] == list(range(first["seq"], first["seq"] + len(messages)))
    # Each stored message was broadcast once, in order.
    await b.wait_for("message:new", where=lambda d: d["message"]["content"] == "over http during the outage")
    assert [d["message"]["content"] for e, d in b.events if e == "message:new"] == [m["content"] for m in messages]

    # And the connections that lived through the outage work as before.
    assert (await a.call("message:edit", {"messageId": first["id"], "version": 1, "content": "edited"}))["ok"]
    fresh = await connect(server, bob)
    assert fresh.sio.connected


def _postgres_processes(pg: StoppablePostgres) -> list[psutil.Process]:
    postmaster = psutil.Process(int((pg.pgdata / "postmaster.pid").read_text().split()[0]))
    return [postmaster, *postmaster.children(recursive=True)]


async def test_a_postgres_that_stops_answering_costs_a_client_the_command_timeout_not_a_hang(
        own_postgres, outage_server):
    """A frozen PostgreSQL (or a network that drops packets) never closes the connection:
    the command and connect timeouts bound the wait instead."""
    server = outage_server
    alice = await server.account()
    room = await workspace_with_channel(server, alice)
    a = await connect(server, alice)
    await send(a, room.channel_id, "before")

    frozen = _postgres_processes(own_postgres)
    for process in frozen:
        os.kill(process.pid, signal.SIGSTOP)
    try:
        key = nonce()
        elapsed, ack = await _timed(a.call("message:send", {"channelId": room.channel_id, "content": "frozen",
                                                            "nonce": key}, timeout=30))
        _assert_unavailable(ack)
        assert elapsed < BOUND, f"a send took {elapsed:.1f}s to be refused"
        elapsed, ready = await _timed(server.request("GET", "/readyz"))
        assert ready.status == 503 and elapsed < 5
    finally:
        for process in frozen:
            os.kill(process.pid, signal.SIGCONT)

    await _wait_until_ready(server)
    # The send's fate was unknown to the client; its retry stores it once, whatever happened.
    await send(a, room.channel_id, "frozen", nonce=key)
    history = await a.call("channel:history", {"channelId": room.channel_id})
    assert [m["content"] for m in history["data"]["messages"]] == ["before", "frozen"]


async def test_commands_that_meet_the_stop_answer_unavailable_too(own_postgres):
    """At the door itself: requests that come just as PostgreSQL stops meet connections it closed
    before asyncpg fully saw it, and fail every way asyncpg has (a lost connection, a protocol
    state error on the next one, a refused reconnect); each is `unavailable`."""
    url = await own_postgres.create_migrated_database()
    db = await connect_database(url, min_size=2, max_size=4, connect_timeout=CONNECT_TIMEOUT,
                                command_timeout=COMMAND_TIMEOUT)

    async def read() -> None:
        async with db.connection() as conn:
            await conn.fetchval("SELECT 1")

    async def write() -> None:
        async with db.transaction("probe") as conn:
            await conn.fetchval("SELECT 1")

    try:
        own_postgres.stop("fast")  # blocking on purpose: the pool's idle connections have not noticed yet
        for request in (read, read, write, read, write):
            with pytest.raises(ApiError) as refused:
                await request()
            assert refused.value.code == "unavailable" and refused.value.details["retryAfter"] >= 1
        own_postgres.start()
        await write()
    finally:
        await db.close()
