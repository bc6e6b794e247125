"""Operator commands as they are typed: `chatserver users set-role` and `chatserver serve --load-test`."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.support.cluster import ServerProcess, wait_ready
from tests.support.redis_server import free_port
from tests.support.server_logs import PROCESS_LOGS

pytestmark = pytest.mark.timeout(90)


def _environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("RATE_LIMIT_")}
    return env | {"DATABASE_URL": database_url, "CHAT_DATA_DIR": str(data_dir), "DB_POOL_MIN": "1",
                  "DB_POOL_MAX": "2", "LOG_JSON": "true"} | extra


async def _chatserver(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def test_users_set_role_grants_a_platform_role_by_username_or_email(server, database_url, tmp_path):
    ada = await server.account()
    env = _environment(database_url, tmp_path, MIGRATE_ON_START="false")

    code, out, err = await _chatserver("users", "set-role", ada.username, "admin", env=env)
    assert code == 0, err
    assert out.strip() == f"{ada.username}: role user -> admin" and err == ""
    me = await server.request("GET", "/api/v1/me", token=ada.access_token)
    assert me.body["user"]["role"] == "admin"  # the next request already has it, no new sign-in needed

    code, out, _ = await _chatserver("users", "set-role", ada.email.upper(), "recruiter", env=env)
    assert code == 0 and out.strip() == f"{ada.username}: role admin -> recruiter"

    code, _, err = await _chatserver("users", "set-role", "nobody-here", "admin", env=env)
    assert code == 1 and "no user with the username or email 'nobody-here'" in err
    code, _, err = await _chatserver("users", "set-role", ada.username, "superuser", env=env)
    assert code == 2 and "invalid choice: 'superuser'" in err
    assert (await server.request("GET", "/api/v1/me", token=ada.access_token)).body["user"]["role"] == "recruiter"


async def test_serve_load_test_raises_the_limits_and_says_so_loudly(database_url, tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    env = _environment(database_url, tmp_path, RATE_LIMIT_TYPING="5/10")  # set by the operator: kept
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "serve", "--host", "127.0.0.1", "--port", str(port), "--load-test",
        env=env, stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT)
    PROCESS_LOGS.append(log)
    server = ServerProcess(port, process, log)
    try:
        await wait_ready(server)
        text = log.read_text()
        banner = text.split("serving", 1)[0]
        assert "LOAD-TEST PRESET" in banner and "RATE_LIMIT_AUTH=1000000/1" in banner
        assert "RATE_LIMIT_SEND=1000000/1" in banner and "kept from the environment: RATE_LIMIT_TYPING=5/10" in banner
        records = [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]
        warning = next(record for record in records if record["msg"].startswith("load-test preset"))
        assert warning["level"].upper() == "WARNING" and "RATE_LIMIT_TYPING" not in warning["raised"]
        # More sign-ups from one address than the default limit (20 a minute) lets through.
        async with aiohttp.ClientSession() as http:
            for number in range(25):
                body = {"email": f"load{number}@example.com", "username": f"load{number}", "password": "x" * 12}
                async with http.post(server.url + "/api/v1/auth/register", json=body) as response:
                    assert response.status == 201, await response.text()
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 20)


SERVE = Path(__file__).resolve().parents[2] / "scripts" / "serve"


@pytest.mark.timeout(180)  # a first `pip install -e .` into .venv may run inside it
async def test_scripts_serve_prints_a_handful_of_lines_and_names_its_log_when_the_install_fails(database_url,
                                                                                                  tmp_path):
    env = _environment(database_url, tmp_path, LOG_JSON="false")
    env.pop("XDG_RUNTIME_DIR", None)  # as in containers and CI, where pgserver's import used to warn
    port = free_port()
    log = tmp_path / "serve.log"
    process = await asyncio.create_subprocess_exec(str(SERVE), "--host", "127.0.0.1", "--port", str(port), env=env,
                                                   stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT,
                                                   start_new_session=True)
    PROCESS_LOGS.append(log)
    try:
        await wait_ready(ServerProcess(port, process, log), timeout=120)  # a first install takes a while
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 20)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    text = log.read_text()
    assert lines[0] == f"serve: installed in .venv; starting chatserver on http://localhost:{port} (Ctrl-C stops it)", \
        text
    assert "XDG_RUNTIME_DIR" not in text and "Warning" not in text and "WARNING: " not in text, text
    assert len(lines) < 20, text

    failing = env | {"PYTHON": "/bin/false"}  # bootstrap refuses it before touching .venv
    result = await asyncio.create_subprocess_exec(str(SERVE), env=failing, stdout=asyncio.subprocess.PIPE,
                                                  stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(result.communicate(), 60)
    assert result.returncode == 1 and out == b""
    assert f"the whole log is {tmp_path}/install.log" in err.decode()
    assert "Python 3.11 or newer is needed" in err.decode()
