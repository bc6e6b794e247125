"""Several real server processes sharing one PostgreSQL database and one Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.support.redis_server import free_port
from tests.support.server import RunningServer
from tests.support.server_logs import PROCESS_LOGS


@dataclass
class ServerProcess:
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)


async def serve(port: int, env: dict[str, str], log: Path) -> ServerProcess:
    """`chatserver serve` on `port` in a process of its own, with exactly `env`, its output to `log`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "chatserver", "serve", "--host", "127.0.0.1", "--port", str(port), env=env,
        stdout=log.open("wb"), stderr=asyncio.subprocess.STDOUT)
    PROCESS_LOGS.append(log)  # checked for unexpected errors when the test ends
    return ServerProcess(port, process, log)


async def wait_ready(server: ServerProcess, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            if server.process.returncode is not None:
                raise RuntimeError(f"server exited: {server.log.read_text()[-2000:]}")
            try:
                async with http.get(server.url + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server on {server.port} not ready: {server.log.read_text()[-2000:]}")


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[ServerProcess] = field(default_factory=list)

    async def start(self, count: int) -> None:
        for _ in range(count):
            self.processes.append(await self._spawn())
        await asyncio.gather(*(self.wait_ready(p) for p in self.processes))

    async def _spawn(self) -> ServerProcess:
        env = {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
               "CHAT_DATA_DIR": str(self.data_dir), "MIGRATE_ON_START": "false", "DB_POOL_MAX": "10", **self.env}
        port = free_port()
        return await serve(port, env, self.data_dir / f"server-{port}.log")

    async def wait_ready(self, server: ServerProcess, timeout: float = 30) -> None:
        await wait_ready(server, timeout)

    async def stop(self) -> None:
        for server in self.processes:
            if server.process.returncode is None:
                server.terminate()
        for server in self.processes:
            try:
                await asyncio.wait_for(server.process.wait(), 15)
            except TimeoutError:
                server.kill()
                await server.process.wait()


def api(http: aiohttp.ClientSession, server: ServerProcess, settings) -> RunningServer:
    """The HTTP helpers of the in-process test server, pointed at a server process."""
    return RunningServer(url=server.url, settings=settings, runner=None, http=http)  # type: ignore[arg-type]
