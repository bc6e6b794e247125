"""`chatserver serve` as an operator runs it: a taken port is one clear line and exit code 2."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import orjson
import pytest

from tests.support.cluster import serve, wait_ready
from tests.support.redis_server import free_port

pytestmark = pytest.mark.timeout(90)


def _environment(database_url: str, data_dir: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "CHAT_DATA_DIR": str(data_dir), "MIGRATE_ON_START": "false",
            "DB_POOL_MIN": "1", "DB_POOL_MAX": "2", "LOG_JSON": "true"}


def _messages(log: Path) -> list[str]:
    return [orjson.loads(line)["msg"] for line in log.read_text().splitlines() if line.startswith("{")]


async def test_a_second_server_on_a_taken_port_says_so_in_one_line_and_exits_2(database_url, tmp_path):
    port = free_port()
    env = _environment(database_url, tmp_path)
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    server = await serve(port, env, first_log)
    first = server.process
    try:
        await wait_ready(server)
        assert "serving" in _messages(first_log)

        second = (await serve(port, env, second_log)).process
        assert await asyncio.wait_for(second.wait(), 20) == 2
        output = second_log.read_text()
        lines = [line for line in output.splitlines() if line.strip()]
        assert len(lines) == 1, output
        assert f"port {port} is already in use" in lines[0] and "PORT" in lines[0], output
        assert "Traceback" not in output and "serving" not in output

        # The first server never noticed.
        await wait_ready(server, timeout=5)
    finally:
        if first.returncode is None:
            first.send_signal(signal.SIGINT)  # Ctrl-C: a clean shutdown, not a KeyboardInterrupt stack
    assert await asyncio.wait_for(first.wait(), 20) == 0
    assert "Traceback" not in first_log.read_text()
    assert "shutting down" in _messages(first_log)


async def test_a_port_that_cannot_be_bound_for_another_reason_is_also_one_line(database_url, tmp_path):
    log = tmp_path / "server.log"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "serve", "--host", "192.0.2.1", "--port", str(free_port()),
        env=_environment(database_url, tmp_path), stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT)
    assert await asyncio.wait_for(process.wait(), 20) == 2
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot listen on 192.0.2.1" in lines[0] and "HOST" in lines[0], lines
